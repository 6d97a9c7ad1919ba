#include "engine/forget.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace lifeboat {
namespace {

Snapshot At(const char* rfc3339, const char* name) {
  Snapshot s;
  s.time = *ParseRfc3339(rfc3339);
  s.id = Id::Hash(name);
  return s;
}

std::vector<std::string> Kept(const std::vector<RetentionDecision>& d) {
  std::vector<std::string> out;
  for (const auto& x : d) {
    if (x.keep) out.push_back(FormatRfc3339(x.snapshot.time));
  }
  return out;
}

class Forget : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(Forget, Durations) {
  auto d = ParseCalendarDuration("1y2m3d4h");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->years, 1);
  EXPECT_EQ(d->months, 2);
  EXPECT_EQ(d->days, 3);
  EXPECT_EQ(d->hours, 4);
  EXPECT_EQ(d->ToString(), "1y2m3d4h");
  EXPECT_FALSE(ParseCalendarDuration("").ok());
  EXPECT_FALSE(ParseCalendarDuration("30").ok());
  EXPECT_FALSE(ParseCalendarDuration("3w").ok());
  EXPECT_FALSE(ParseCalendarDuration("d").ok());
}

TEST_F(Forget, DailyKeepsTheNewestOfEachDay) {
  std::vector<Snapshot> s = {At("2026-11-20T08:00:00Z", "a"), At("2026-11-20T20:00:00Z", "b"),
                             At("2026-11-19T10:00:00Z", "c"), At("2026-11-18T10:00:00Z", "d"),
                             At("2026-11-17T10:00:00Z", "e")};
  RetentionPolicy p;
  p.daily = 3;
  EXPECT_EQ(Kept(ApplyRetention(s, p)),
            (std::vector<std::string>{"2026-11-20T20:00:00Z", "2026-11-19T10:00:00Z", "2026-11-18T10:00:00Z"}));
  p.daily = -1;  // unlimited: one per day, all days
  EXPECT_EQ(Kept(ApplyRetention(s, p)).size(), 4u);
}

TEST_F(Forget, IsoWeeksAcrossTheYearEnd) {
  // 2026-12-31 (Thu) and 2027-01-01 (Fri) are both in ISO week 2026-W53.
  std::vector<Snapshot> s = {At("2027-01-01T12:00:00Z", "a"), At("2026-12-31T12:00:00Z", "b"),
                             At("2026-12-27T12:00:00Z", "c")};
  RetentionPolicy p;
  p.weekly = 5;
  EXPECT_EQ(Kept(ApplyRetention(s, p)),
            (std::vector<std::string>{"2027-01-01T12:00:00Z", "2026-12-27T12:00:00Z"}));
}

TEST_F(Forget, WithinIsRelativeToTheNewestAndStrict) {
  std::vector<Snapshot> s = {At("2026-03-31T00:00:00Z", "a"), At("2026-03-01T00:00:00Z", "b"),
                             At("2026-02-28T23:59:59Z", "c")};
  RetentionPolicy p;
  p.within.months = 1;  // 03-31 minus a month is "02-31", normalised to 03-03 (as Go's AddDate does)
  auto kept = Kept(ApplyRetention(s, p));
  EXPECT_EQ(kept, (std::vector<std::string>{"2026-03-31T00:00:00Z"}));
  p.within = CalendarDuration{0, 0, 30, 0};  // back to 03-01T00:00:00, which is not "after" it
  EXPECT_EQ(Kept(ApplyRetention(s, p)).size(), 1u);
  p.within = CalendarDuration{0, 0, 30, 1};  // back to 02-28T23:00:00
  EXPECT_EQ(Kept(ApplyRetention(s, p)).size(), 3u);
}

TEST_F(Forget, TagsAndLastAndReasons) {
  std::vector<Snapshot> s = {At("2026-11-20T10:00:00Z", "a"), At("2026-11-19T10:00:00Z", "b"),
                             At("2026-11-18T10:00:00Z", "c")};
  s[2].tags = {"important", "db"};
  RetentionPolicy p;
  p.last = 1;
  p.keep_tags = {{"important", "db"}};
  auto d = ApplyRetention(s, p);
  EXPECT_TRUE(d[0].keep);
  EXPECT_EQ(d[0].reasons, (std::vector<std::string>{"last snapshot"}));
  EXPECT_FALSE(d[1].keep);
  EXPECT_TRUE(d[2].keep);
  EXPECT_EQ(d[2].reasons[0], "has tags [important db]");
  p.keep_tags = {{"important", "web"}};  // needs both tags
  EXPECT_FALSE(ApplyRetention(s, p)[2].keep);
}

TEST_F(Forget, Groups) {
  std::vector<Snapshot> s = {At("2026-11-20T10:00:00Z", "a"), At("2026-11-19T10:00:00Z", "b")};
  s[0].hostname = "x";
  s[1].hostname = "y";
  s[0].paths = {"/b", "/a"};
  s[1].paths = {"/a", "/b"};
  EXPECT_EQ(GroupSnapshots(s, "host,paths")->size(), 2u);
  EXPECT_EQ(GroupSnapshots(s, "paths")->size(), 1u);  // path order does not matter
  EXPECT_EQ(GroupSnapshots(s, "")->size(), 1u);
  EXPECT_FALSE(GroupSnapshots(s, "colour").ok());
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

Snapshot Tagged(const char* rfc3339, const char* name, std::vector<std::string> tags) {
  Snapshot s = At(rfc3339, name);
  s.hostname = "db1";
  s.paths = {"redis://db1:6379"};
  s.tags = std::move(tags);
  return s;
}

bool Removed(const ForgetPlan& plan, const char* name) {
  for (const auto& d : plan.removals) {
    if (d.snapshot.id == Id::Hash(name)) return true;
  }
  return false;
}

// The daemon and every other caller of the engine get the hold rule, not
// only the forget command.
TEST_F(Forget, PlanHoldWinsOverEveryPolicy) {
  std::vector<Snapshot> all = {Tagged("2026-11-01T00:00:00Z", "old", {"redis"}),
                               Tagged("2026-11-02T00:00:00Z", "held", {"redis", "hold"}),
                               Tagged("2026-12-01T00:00:00Z", "new", {"redis"})};
  RetentionPolicy last;
  last.last = 1;
  auto plan = PlanForget(all, {NamedPolicy{"", "", last}}, "host,paths");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(Removed(*plan, "old"));
  EXPECT_FALSE(Removed(*plan, "held"));
  EXPECT_FALSE(Removed(*plan, "new"));
  EXPECT_EQ(plan->removals.size(), 1u);
  EXPECT_FALSE(CheckRemovable(all[1]).ok());
  EXPECT_TRUE(CheckRemovable(all[0]).ok());
}

// Several named policies: a snapshot goes only if a policy applies to it
// and none keeps it; a snapshot no policy's tag names stays.
TEST_F(Forget, PlanNamedPoliciesMergeAndUntaggedSnapshotsStay) {
  std::vector<Snapshot> all = {Tagged("2026-10-01T00:00:00Z", "both", {"cache", "compliance"}),
                               Tagged("2026-10-02T00:00:00Z", "cache-old", {"cache"}),
                               Tagged("2026-12-01T00:00:00Z", "cache-new", {"cache"}),
                               Tagged("2026-10-03T00:00:00Z", "nobody", {"misc"})};
  RetentionPolicy cache, compliance;
  cache.last = 1;
  compliance.monthly = 12;
  auto plan = PlanForget(all, {NamedPolicy{"cache", "cache", cache}, NamedPolicy{"compliance", "compliance", compliance}},
                         "host,paths");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_FALSE(Removed(*plan, "both"));  // the cache policy drops it, compliance keeps it
  EXPECT_TRUE(Removed(*plan, "cache-old"));
  EXPECT_FALSE(Removed(*plan, "cache-new"));
  EXPECT_FALSE(Removed(*plan, "nobody"));
  EXPECT_EQ(plan->untouched, 1u);
  EXPECT_EQ(plan->groups.size(), 2u);
}

TEST_F(Forget, PlanRefusesAnUnknownGrouping) {
  RetentionPolicy last;
  last.last = 1;
  auto plan = PlanForget({Tagged("2026-10-01T00:00:00Z", "a", {})}, {NamedPolicy{"", "", last}}, "colour");
  EXPECT_FALSE(plan.ok());
}

}  // namespace
}  // namespace lifeboat
