#include "scheduler/job_metrics.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

JobSpec Job(const std::string& name, const std::string& type) {
  JobSpec j;
  j.name = name;
  j.type = type;
  j.repository = "primary";
  j.copy_to = {"dr"};
  return j;
}

RunRecord Record(const std::string& job, const std::string& result, int64_t start, int64_t end,
                 const AttemptResult& details) {
  RunRecord r;
  r.job = job;
  r.type = "postgres";
  r.result = result;
  r.start = {start, 0};
  r.end = {end, 0};
  r.bytes_added = details.bytes_added;
  r.details = details.ToJson();
  return r;
}

TEST(JobMetrics, ThePlansNamesFollowTheRuns) {
  JobMetrics m;
  m.AddJob(Job("pg", "postgres"));
  std::string before = m.Render({100000, 0});
  EXPECT_TRUE(Has(before, "backup_age_hours{type=\"postgres\"} +Inf")) << before;
  EXPECT_EQ(before.find("backup_success{"), std::string::npos) << "no run yet: no success value";
  EXPECT_TRUE(Has(before, "lifeboat_job_running{job=\"pg\"} 0"));

  AttemptResult ok;
  ok.result = "success";
  ok.snapshot_id = "ab";
  ok.snapshot_time = {90000, 0};
  ok.snapshot_size = 1073741824;
  ok.bytes_added = 4096;
  ok.repository_size = 5000;
  ok.repository_snapshots = 3;
  ok.copies.push_back({"dr", 1, {}, "", Code::kOk});
  m.Started("pg");
  EXPECT_TRUE(Has(m.Render({90000, 0}), "lifeboat_job_running{job=\"pg\"} 1"));
  m.Finished(Record("pg", "success", 89990, 90010, ok));
  std::string after = m.Render({90000 + 45000, 0});  // 12.5 h after the snapshot
  EXPECT_TRUE(Has(after, "backup_success{type=\"postgres\"} 1")) << after;
  EXPECT_TRUE(Has(after, "backup_age_hours{type=\"postgres\"} 12.5")) << after;
  EXPECT_TRUE(Has(after, "backup_total_size_bytes{type=\"postgres\"} 1073741824"));
  EXPECT_TRUE(Has(after, "lifeboat_job_last_success_timestamp_seconds{job=\"pg\"} 90010"));
  EXPECT_TRUE(Has(after, "lifeboat_job_runs_total{job=\"pg\",result=\"success\"} 1"));
  EXPECT_TRUE(Has(after, "lifeboat_job_bytes_added{job=\"pg\"} 4096"));
  EXPECT_TRUE(Has(after, "lifeboat_job_duration_seconds_count{job=\"pg\"} 1"));
  EXPECT_TRUE(Has(after, "lifeboat_repository_snapshots{repository=\"primary\"} 3"));
  EXPECT_TRUE(Has(after, "lifeboat_copy_lag_seconds{from=\"primary\",to=\"dr\"} 0"));

  // The source went away: success 0, the age keeps growing from the last
  // snapshot, and a failed copy shows how long dr has been behind.
  AttemptResult bad;
  bad.error = "backup of /x: none of the paths to back up exist";
  m.Finished(Record("pg", "failure", 100000, 100005, bad));
  AttemptResult copy_failed = ok;
  copy_failed.result = "failure";
  copy_failed.snapshot_time = {110000, 0};
  copy_failed.copies[0].behind_since = {110000, 0};
  copy_failed.copies[0].error = "copy to dr: unreachable";
  std::string failed = m.Render({108000, 0});
  EXPECT_TRUE(Has(failed, "backup_success{type=\"postgres\"} 0")) << failed;
  EXPECT_TRUE(Has(failed, "backup_age_hours{type=\"postgres\"} 5"));
  EXPECT_TRUE(Has(failed, "lifeboat_job_runs_total{job=\"pg\",result=\"failure\"} 1"));
  m.Finished(Record("pg", "failure", 110000, 110010, copy_failed));
  std::string lagging = m.Render({113600, 0});
  EXPECT_TRUE(Has(lagging, "lifeboat_copy_lag_seconds{from=\"primary\",to=\"dr\"} 3600")) << lagging;
}

TEST(JobMetrics, EveryJobOfATypeMustSucceed) {
  JobMetrics m;
  m.AddJob(Job("a", "files"));
  m.AddJob(Job("b", "files"));
  AttemptResult ok;
  ok.result = "success";
  ok.snapshot_id = "x";
  ok.snapshot_time = {1000, 0};
  ok.snapshot_size = 10;
  RunRecord a = Record("a", "success", 990, 1000, ok);
  a.type = "files";
  m.Finished(a);
  RunRecord b = Record("b", "failure", 990, 1000, AttemptResult{});
  b.type = "files";
  m.Finished(b);
  std::string text = m.Render({2000, 0});
  EXPECT_TRUE(Has(text, "backup_success{type=\"files\"} 0")) << text;
  EXPECT_TRUE(Has(text, "backup_total_size_bytes{type=\"files\"} 10"));
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

TEST(JobMetrics, APruneJobHasItsJobSeriesButNoBackupOnes) {
  JobMetrics m;
  JobSpec p;
  p.name = "prune-primary";
  p.kind = "prune";
  p.type = "prune";
  p.repository = "primary";
  m.AddJob(p);
  AttemptResult ok;
  ok.result = "success";
  ok.repository_size = 4096;
  ok.repository_snapshots = 3;
  RunRecord r;
  r.job = "prune-primary";
  r.type = "prune";
  r.result = "success";
  r.start = {990, 0};
  r.end = {1000, 0};
  r.details = ok.ToJson();
  m.Finished(r);
  std::string text = m.Render({2000, 0});
  EXPECT_EQ(text.find("backup_success{"), std::string::npos) << text;
  EXPECT_EQ(text.find("backup_age_hours{"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlifeboat_job_runs_total{job=\"prune-primary\",result=\"success\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nlifeboat_repository_size_bytes{repository=\"primary\"} 4096\n"), std::string::npos);
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

TEST(JobMetrics, ARestoreTestReportsUnderTheJobItTests) {
  JobMetrics m;
  m.AddJob(Job("pg", "postgres"));
  JobSpec v = Job("verify-pg", "postgres");
  v.kind = "verify";
  v.for_job = "pg";
  v.copy_to.clear();
  m.AddJob(v);
  AttemptResult backup;
  backup.result = "success";
  backup.snapshot_id = std::string(64, 'a');
  backup.snapshot_time = {900, 0};
  backup.snapshot_size = 100;
  backup.repository_size = 4096;
  backup.repository_snapshots = 3;
  m.Finished(Record("pg", "success", 900, 1000, backup));
  AttemptResult test = backup;
  test.repository_size = 0;
  test.repository_snapshots = 0;
  m.Finished(Record("verify-pg", "success", 1100, 1130, test));
  std::string text = m.Render({2000, 0});
  EXPECT_TRUE(Has(text, "lifeboat_verify_success{job=\"pg\"} 1")) << text;
  EXPECT_TRUE(Has(text, "lifeboat_verify_duration_seconds{job=\"pg\"} 30")) << text;
  EXPECT_TRUE(Has(text, "lifeboat_verify_last_timestamp_seconds{job=\"pg\"} 1130")) << text;
  // The restore test is not a second backup of the type, and leaves the
  // repository's figures as the backup recorded them.
  EXPECT_TRUE(Has(text, "backup_total_size_bytes{type=\"postgres\"} 100")) << text;
  EXPECT_TRUE(Has(text, "lifeboat_repository_size_bytes{repository=\"primary\"} 4096")) << text;
  EXPECT_EQ(text.find("verify_success{job=\"verify-pg\"}"), std::string::npos) << text;

  AttemptResult bad = test;
  bad.result = "failure";
  bad.error = "restore test: snapshot aaaaaaaa of x did not restore to the data it was taken of";
  m.Finished(Record("verify-pg", "failure", 1200, 1260, bad));
  text = m.Render({2000, 0});
  EXPECT_TRUE(Has(text, "lifeboat_verify_success{job=\"pg\"} 0")) << text;
  EXPECT_TRUE(Has(text, "backup_success{type=\"postgres\"} 1")) << text;
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

TEST(JobMetrics, AnArchiveCheckSetsTheTimeOfTheLastArchivedFile) {
  JobMetrics m;
  m.AddJob(Job("pg", "postgres"));
  JobSpec a = Job("archive-pg", "postgres");
  a.kind = "archive";
  a.for_job = "pg";
  a.copy_to.clear();
  m.AddJob(a);
  std::string text = m.Render({2000, 0});
  // No check yet: no series (an alert on its age must not see 0, 1970).
  EXPECT_EQ(text.find("lifeboat_wal_archive_last_timestamp_seconds{"), std::string::npos) << text;

  AttemptResult ok;
  ok.result = "success";
  ok.archived_last = "000000010000000000000007";
  ok.archived_last_time = {1500, 250000000};
  m.Finished(Record("archive-pg", "success", 1600, 1601, ok));
  text = m.Render({2000, 0});
  EXPECT_TRUE(Has(text, "lifeboat_wal_archive_last_timestamp_seconds{job=\"pg\"} 1500.25")) << text;
  // Not a backup of the type.
  EXPECT_EQ(text.find("backup_success{type=\"postgres\"}"), std::string::npos) << text;

  // Archiving failing since: the check fails, the time stays where the
  // archive reaches; a check that cannot tell leaves it alone.
  AttemptResult failing = ok;
  failing.result = "failure";
  failing.error = "WAL archiving of x is failing";
  m.Finished(Record("archive-pg", "failure", 1700, 1701, failing));
  AttemptResult dead;
  dead.result = "failure";
  dead.error = "connect: refused";
  m.Finished(Record("archive-pg", "failure", 1800, 1801, dead));
  text = m.Render({2000, 0});
  EXPECT_TRUE(Has(text, "lifeboat_wal_archive_last_timestamp_seconds{job=\"pg\"} 1500.25")) << text;
  EXPECT_TRUE(Has(text, "lifeboat_job_runs_total{job=\"archive-pg\",result=\"failure\"} 2")) << text;
}

TEST(JobMetrics, AReloadDropsTheSeriesOfTheJobsItRemoved) {
  JobMetrics m;
  m.AddJob(Job("pg", "postgres"));
  JobSpec cache = Job("cache", "redis");
  cache.repository = "second";
  cache.copy_to = {"dr2"};
  m.AddJob(cache);
  JobSpec a = Job("archive-pg", "postgres");
  a.kind = "archive";
  a.for_job = "pg";
  a.copy_to.clear();
  m.AddJob(a);
  AttemptResult ok;
  ok.result = "success";
  ok.snapshot_id = "ab";
  ok.snapshot_time = {900, 0};
  ok.repository_snapshots = 2;
  ok.copies.push_back({"dr2", 1, {}, "", Code::kOk});
  m.Finished(Record("cache", "success", 900, 901, ok));
  AttemptResult archived;
  archived.result = "success";
  archived.archived_last = "000000010000000000000007";
  archived.archived_last_time = {950, 0};
  m.Finished(Record("archive-pg", "success", 960, 961, archived));
  std::string before = m.Render({1000, 0});
  ASSERT_TRUE(Has(before, "backup_success{type=\"redis\"} 1")) << before;
  ASSERT_TRUE(Has(before, "lifeboat_repository_snapshots{repository=\"second\"} 2")) << before;
  ASSERT_TRUE(Has(before, "lifeboat_copy_lag_seconds{from=\"second\",to=\"dr2\"} 0")) << before;
  ASSERT_TRUE(Has(before, "lifeboat_wal_archive_last_timestamp_seconds{job=\"pg\"} 950")) << before;

  m.RetainJobs({"pg"});
  std::string after = m.Render({1000, 0});
  for (const char* gone : {"job=\"cache\"", "job=\"archive-pg\"", "type=\"redis\"", "repository=\"second\"",
                           "to=\"dr2\"", "lifeboat_wal_archive_last_timestamp_seconds{"}) {
    EXPECT_EQ(after.find(gone), std::string::npos) << gone << " stayed:\n" << after;
  }
  EXPECT_TRUE(Has(after, "lifeboat_job_running{job=\"pg\"} 0")) << after;
  EXPECT_TRUE(Has(after, "backup_age_hours{type=\"postgres\"} +Inf")) << after;
}

}  // namespace
}  // namespace lifeboat
