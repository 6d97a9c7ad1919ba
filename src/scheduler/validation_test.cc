#include "scheduler/validation.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace lifeboat {
namespace {

class JobRuns : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lifeboat-validation.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto h = RunHistory::Open(dir_ + "/history.sqlite");
    ASSERT_TRUE(h.ok()) << h.status().message();
    history_ = std::move(*h);
    auto c = ParseConfig(R"(repositories:
  primary: {url: /srv/repo, password_file: /etc/pw}
jobs:
  postgres: {source: "postgres://db1/app", repository: primary, schedule: "0 2 * * *"}
  redis:
    source: "redis://cache:6379"
    repository: primary
    schedule: "@every 6h"
    verify: {schedule: "0 4 * * 1", options: {scratch_dir: /var/tmp}}
)",
                         "lifeboat.yml", true);
    ASSERT_TRUE(c.ok()) << c.status().message();
    config_ = std::move(*c);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  void Run(const std::string& job, int64_t start, const std::string& result) {
    auto id = history_->Begin(job, "", "schedule", Timestamp{start, 0});
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(
        history_->Finish(*id, Timestamp{start + 60, 0}, result, "", 0, result == "success" ? "" : "boom")
            .ok());
  }
  std::string dir_;
  std::unique_ptr<RunHistory> history_;
  Config config_;
};

// 2026-01-20 10:30:00 UTC; 02:00 that day is 1768874400.
constexpr int64_t kNow = 1768905000;
constexpr int64_t kTwoToday = 1768874400;

TEST_F(JobRuns, WithinTheScheduleOneSlotMayBeMissed) {
  Run("postgres", kTwoToday - 86400, "success");  // yesterday 02:00: today's may still be running
  Run("redis", kNow - 3 * 3600, "success");
  auto checks = CheckJobRuns(config_, *history_, Timestamp{kNow, 0});
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 2u);
  EXPECT_EQ((*checks)[0].verdict, Verdict::kPass) << (*checks)[0].reason;
  EXPECT_EQ((*checks)[1].verdict, Verdict::kPass) << (*checks)[1].reason;
}

TEST_F(JobRuns, TooOldAFailureAndNeverRanFail) {
  Run("postgres", kTwoToday - 2 * 86400, "success");  // two days ago: a slot was missed
  Run("redis", kNow - 2 * 3600, "success");
  Run("redis", kNow - 3600, "failure");
  auto checks = CheckJobRuns(config_, *history_, Timestamp{kNow, 0});
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ((*checks)[0].verdict, Verdict::kFail);
  EXPECT_NE((*checks)[0].reason.find("no success since 2026-01-19T02:00:00Z"), std::string::npos)
      << (*checks)[0].reason;
  EXPECT_EQ((*checks)[1].verdict, Verdict::kFail);
  EXPECT_NE((*checks)[1].reason.find("ended failure: boom"), std::string::npos) << (*checks)[1].reason;

  auto fresh = RunHistory::Open(dir_ + "/other.sqlite");
  ASSERT_TRUE(fresh.ok());
  auto none = CheckJobRuns(config_, **fresh, Timestamp{kNow, 0});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)[0].verdict, Verdict::kFail);
  EXPECT_EQ((*none)[0].reason, "it has never run");
}

TEST_F(JobRuns, TheVerifyJobIsTheConfigsOrOneMadeFromTheJob) {
  JobSpec made = VerifyJobFor(config_, *config_.FindJob("postgres"));
  EXPECT_EQ(made.name, "verify-postgres");
  EXPECT_EQ(made.kind, "verify");
  EXPECT_EQ(made.for_job, "postgres");
  EXPECT_EQ(made.source, "postgres://db1/app");
  JobSpec configured = VerifyJobFor(config_, *config_.FindJob("redis"));
  EXPECT_EQ(configured.name, "verify-redis");
  ASSERT_EQ(configured.options.count("scratch_dir"), 1u);
}

TEST_F(JobRuns, AnUnknownJobIsRefused) {
  ValidationRun run;
  run.jobs = {"mongodb"};
  auto r = RunValidation(config_, run, nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "lifeboat.yml: no backup job named mongodb");
}

}  // namespace
}  // namespace lifeboat
