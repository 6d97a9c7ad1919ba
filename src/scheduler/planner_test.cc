#include "scheduler/planner.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

Timestamp At(const char* rfc3339) { return ParseRfc3339(rfc3339).value(); }

PlannedJob Job(const char* name, const char* repo, const char* schedule, bool exclusive = false) {
  return PlannedJob{name, repo, Schedule::Parse(schedule).value(), exclusive};
}

using Names = std::vector<std::string>;

TEST(Planner, DueOnceAndNeverTwiceAtOnce) {
  Planner p({Job("a", "r", "@every 1h")}, Limits{}, MissedRule::kRunOnce, At("2026-12-02T10:30:00Z"), {});
  EXPECT_EQ(p.NextRun("a"), At("2026-12-02T11:00:00Z"));
  EXPECT_EQ(p.Tick(At("2026-12-02T10:59:59Z")), Names{});
  EXPECT_EQ(p.Tick(At("2026-12-02T11:00:00Z")), Names{"a"});
  EXPECT_EQ(p.Tick(At("2026-12-02T11:00:30Z")), Names{});  // queued already
  EXPECT_EQ(p.Start(), Names{"a"});
  EXPECT_TRUE(p.running("a"));
  EXPECT_EQ(p.Tick(At("2026-12-02T12:00:00Z")), Names{});  // still running: this fire time is dropped
  EXPECT_EQ(p.NextRun("a"), At("2026-12-02T13:00:00Z"));
  p.Finished("a");
  EXPECT_EQ(p.Start(), Names{});
  EXPECT_EQ(p.Tick(At("2026-12-02T13:00:00Z")), Names{"a"});
}

TEST(Planner, ManyFireTimesPassedMeanOneRun) {
  Planner p({Job("a", "r", "*/10 * * * *")}, Limits{}, MissedRule::kRunOnce, At("2026-12-02T10:00:00Z"), {});
  EXPECT_EQ(p.Tick(At("2026-12-02T11:05:00Z")), Names{"a"});  // six fire times late
  EXPECT_EQ(p.NextRun("a"), At("2026-12-02T11:10:00Z"));
  EXPECT_EQ(p.Start(), Names{"a"});
  EXPECT_EQ(p.Start(), Names{});
}

TEST(Planner, GlobalAndPerRepositoryLimits) {
  Planner p({Job("a", "r1", "0 2 * * *"), Job("b", "r1", "0 2 * * *"), Job("c", "r2", "0 2 * * *"),
             Job("d", "r3", "0 2 * * *")},
            Limits{2, 1}, MissedRule::kRunOnce, At("2026-12-02T00:00:00Z"), {});
  EXPECT_EQ(p.Tick(At("2026-12-02T02:00:00Z")), (Names{"a", "b", "c", "d"}));  // the config's order
  EXPECT_EQ(p.Start(), (Names{"a", "c"}));  // b waits for r1; d for a free slot
  EXPECT_TRUE(p.queued("b"));
  EXPECT_TRUE(p.queued("d"));
  p.Finished("c");
  EXPECT_EQ(p.Start(), Names{"d"});  // r1 is still busy with a
  p.Finished("a");
  EXPECT_EQ(p.Start(), Names{"b"});
}

TEST(Planner, APruneRunsAloneOnItsRepository) {
  Planner p({Job("a", "r1", "0 2 * * *"), Job("prune", "r1", "0 3 * * *", true), Job("b", "r1", "0 4 * * *"),
             Job("c", "r2", "0 4 * * *")},
            Limits{4, 2}, MissedRule::kRunOnce, At("2026-12-02T00:00:00Z"), {});
  p.Tick(At("2026-12-02T02:00:00Z"));
  EXPECT_EQ(p.Start(), Names{"a"});
  p.Tick(At("2026-12-02T03:00:00Z"));
  p.Tick(At("2026-12-02T04:00:00Z"));
  // The prune waits for a; b (same repository, allowed two at once) must
  // not overtake the prune; c on another repository goes.
  EXPECT_EQ(p.Start(), Names{"c"});
  p.Finished("a");
  EXPECT_EQ(p.Start(), Names{"prune"});
  EXPECT_EQ(p.Start(), Names{});  // b waits for the prune
  p.Finished("prune");
  EXPECT_EQ(p.Start(), Names{"b"});
}

TEST(Planner, MissedRunRule) {
  std::vector<PlannedJob> jobs = {Job("pg", "r", "0 2 * * *"), Job("redis", "r2", "0 */6 * * *"),
                                  Job("new", "r3", "0 2 * * *")};
  std::map<std::string, Timestamp> last = {{"pg", At("2026-12-01T02:00:05Z")},      // missed 12-02 02:00
                                           {"redis", At("2026-12-02T06:00:01Z")}};  // ran at the last fire
  Timestamp now = At("2026-12-02T09:00:00Z");
  Planner once(jobs, Limits{3, 1}, MissedRule::kRunOnce, now, last);
  EXPECT_EQ(once.missed(), Names{"pg"});
  EXPECT_EQ(once.Start(), Names{"pg"});
  EXPECT_EQ(once.NextRun("pg"), At("2026-12-03T02:00:00Z"));
  Planner skip(jobs, Limits{3, 1}, MissedRule::kSkip, now, last);
  EXPECT_EQ(skip.missed(), Names{"pg"});  // missed all the same, but not run
  EXPECT_EQ(skip.Start(), Names{});
}

TEST(Planner, AFireTimeWhileTheJobRunsIsSkippedAndSaidSo) {
  Planner p({Job("a", "r", "@every 10s")}, Limits{2, 1}, MissedRule::kRunOnce, At("2026-12-02T10:00:00Z"),
            {});
  std::vector<std::string> skipped;
  EXPECT_EQ(p.Tick(At("2026-12-02T10:00:10Z"), &skipped), Names{"a"});
  EXPECT_EQ(skipped, Names{});
  EXPECT_EQ(p.Start(), Names{"a"});
  EXPECT_EQ(p.Tick(At("2026-12-02T10:00:20Z"), &skipped), Names{});
  EXPECT_EQ(skipped, Names{"a"});
}

TEST(Planner, ReconfigureKeepsRunningJobsAndUnchangedSchedules) {
  Timestamp t0 = At("2026-12-02T10:00:00Z");
  Planner p({Job("a", "r", "@every 10s"), Job("b", "r", "@daily"), Job("c", "r2", "@daily")}, Limits{3, 1},
            MissedRule::kRunOnce, t0, {});
  EXPECT_TRUE(p.Trigger("a"));
  EXPECT_TRUE(p.Trigger("c"));
  EXPECT_EQ(p.Start(), (Names{"a", "c"}));
  EXPECT_TRUE(p.Trigger("b"));  // waits: a runs on r
  // a keeps its schedule, b moves to hourly, c goes away while it runs.
  p.Reconfigure({Job("a", "r", "@every 10s"), Job("b", "r", "@hourly")}, Limits{1, 1},
                At("2026-12-02T10:00:05Z"));
  EXPECT_TRUE(p.running("a"));
  EXPECT_TRUE(p.running("c"));
  EXPECT_TRUE(p.queued("b"));
  EXPECT_EQ(p.NextRun("a"), At("2026-12-02T10:00:10Z"));
  EXPECT_EQ(p.NextRun("b"), At("2026-12-02T11:00:00Z"));
  EXPECT_EQ(p.NextRun("c"), std::nullopt);
  p.Finished("a");
  EXPECT_EQ(p.Start(), Names{});  // c still holds the one global slot
  p.Finished("c");
  EXPECT_EQ(p.Start(), Names{"b"});
}

TEST(Planner, ManualTriggers) {
  Planner p({Job("a", "r", "@daily"), Job("b", "r", "@daily")}, Limits{2, 1}, MissedRule::kRunOnce,
            At("2026-12-02T10:00:00Z"), {});
  EXPECT_FALSE(p.Trigger("nope"));
  EXPECT_TRUE(p.Trigger("a"));
  EXPECT_FALSE(p.Trigger("a"));  // queued: the API's 409
  EXPECT_EQ(p.Start(), Names{"a"});
  EXPECT_FALSE(p.Trigger("a"));  // running
  EXPECT_TRUE(p.Trigger("b"));
  EXPECT_EQ(p.Start(), Names{});  // same repository
  p.Finished("a");
  EXPECT_EQ(p.Start(), Names{"b"});
}

TEST(Planner, NextWakeIsTheSoonestFireTime) {
  Planner p({Job("a", "r", "0 2 * * *"), Job("b", "r", "@every 6h")}, Limits{}, MissedRule::kRunOnce,
            At("2026-12-02T01:00:00Z"), {});
  EXPECT_EQ(p.NextWake(At("2026-12-02T01:00:00Z")), At("2026-12-02T02:00:00Z"));
  p.Tick(At("2026-12-02T02:00:00Z"));
  EXPECT_EQ(p.NextWake(At("2026-12-02T02:00:00Z")), At("2026-12-02T06:00:00Z"));
}

}  // namespace
}  // namespace lifeboat
