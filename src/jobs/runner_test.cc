#include "jobs/runner.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <thread>

namespace lifeboat {
namespace {

// An attempt that prints `json` (or nothing) and exits with `code`.
AttemptCommand Child(const std::string& json, int code = 0) {
  return {{"/bin/sh", "-c", "printf '%s\\n' \"$0\"; exit " + std::to_string(code), json}, {}, -1};
}

JobSpec Job(int attempts, double backoff) {
  JobSpec job;
  job.name = "pg";
  job.type = "postgres";
  job.retries.attempts = attempts;
  job.retries.backoff_seconds = backoff;
  return job;
}

TEST(Runner, ASuccessIsRecordedWithItsSnapshot) {
  FakeClock clock;
  CancelFlag cancel(&clock);
  RunnerOptions o{&clock, nullptr, 1};
  JobRun run = RunJob(
      Job(3, 60), "manual",
      Child(R"({"result":"success","snapshot_id":"ab12","bytes_added":42,"snapshot_size":7})"), o, &cancel);
  EXPECT_EQ(run.record.result, "success");
  EXPECT_EQ(run.record.snapshot_id, "ab12");
  EXPECT_EQ(run.record.bytes_added, 42u);
  EXPECT_EQ(run.last.snapshot_size, 7u);
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(run.status_code, 0);
}

TEST(Runner, RetriesAfterTheBackoffDoublingIt) {
  FakeClock clock;
  CancelFlag cancel(&clock);
  RunnerOptions o{&clock, nullptr, 1};
  JobRun run;
  std::atomic<bool> done{false};
  std::thread t([&] {
    run = RunJob(Job(3, 60), "schedule", Child(R"({"result":"failure","error":"refused","code":6})", 1), o,
                 &cancel);
    done = true;
  });
  clock.WaitForWaitsStarted(1);  // the first backoff
  clock.Advance(59);             // not yet: the same wait goes on
  clock.Advance(1);
  clock.WaitForWaitsStarted(2);  // the second backoff, twice as long
  clock.Advance(119);
  clock.WaitForWaiters(1);  // still in the second backoff (a 60 s one would have ended)
  EXPECT_FALSE(done);
  clock.Advance(1);
  t.join();
  EXPECT_EQ(run.attempts, 3);
  EXPECT_EQ(run.record.result, "failure");
  EXPECT_EQ(run.record.error, "attempt 3 of 3: refused");
  EXPECT_EQ(run.status_code, 6);
}

TEST(Runner, AFailureAfterTheSnapshotIsNotRetried) {
  FakeClock clock;
  CancelFlag cancel(&clock);
  RunnerOptions o{&clock, nullptr, 1};
  JobRun run =
      RunJob(Job(3, 60), "manual",
             Child(R"({"result":"failure","retryable":false,"snapshot_id":"ab","error":"copy to dr: x"})", 1),
             o, &cancel);
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(run.record.snapshot_id, "ab");
  EXPECT_EQ(run.record.error, "copy to dr: x");
}

TEST(Runner, CancelDuringTheBackoffEndsTheRun) {
  FakeClock clock;
  CancelFlag cancel(&clock);
  RunnerOptions o{&clock, nullptr, 1};
  JobRun run;
  std::thread t(
      [&] { run = RunJob(Job(5, 600), "schedule", Child(R"({"result":"failure"})", 1), o, &cancel); });
  clock.WaitForWaiters(1);
  cancel.Cancel("lifeboat serve is shutting down");
  t.join();
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(run.record.result, "cancelled");
  EXPECT_EQ(run.record.error, "lifeboat serve is shutting down");
}

TEST(Runner, AChildThatDiesWithoutAResultIsAFailureNamingIt) {
  FakeClock clock;
  CancelFlag cancel(&clock);
  RunnerOptions o{&clock, nullptr, 1};
  JobRun run = RunJob(Job(1, 1), "manual", {{"/bin/sh", "-c", "echo 'out of memory' >&2; exit 137"}, {}, -1},
                      o, &cancel);
  EXPECT_EQ(run.record.result, "failure");
  EXPECT_NE(run.record.error.find("sh exited with status 137: out of memory"), std::string::npos)
      << run.record.error;
}

TEST(Runner, RecordsTheRunInTheHistory) {
  char tmpl[] = "/tmp/lifeboat-runner.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  {
    auto history = RunHistory::Open(dir + "/h.sqlite");
    ASSERT_TRUE(history.ok());
    FakeClock clock;
    CancelFlag cancel(&clock);
    RunnerOptions o{&clock, history->get(), 1};
    int64_t started = 0;
    JobRun run = RunJob(Job(1, 1), "manual", Child(R"({"result":"success","snapshot_id":"cd"})"), o, &cancel,
                        [&](const RunRecord& r) { started = r.id; });
    EXPECT_GT(started, 0);
    EXPECT_EQ(run.record.id, started);
    auto last = (*history)->Last("pg", "success");
    ASSERT_TRUE(last.ok() && *last);
    EXPECT_EQ((*last)->snapshot_id, "cd");
    EXPECT_EQ((*last)->type, "postgres");
    auto details = AttemptResult::FromJson((*last)->details);
    ASSERT_TRUE(details.ok());
    EXPECT_EQ(details->snapshot_id, "cd");
  }
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace lifeboat
