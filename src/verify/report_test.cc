#include "verify/report.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

SnapshotCheck Check(const std::string& kind, Verdict v, const std::string& reason = "") {
  SnapshotCheck c;
  c.kind = kind;
  c.group = ValidationGroupOf(kind);
  c.source = kind == "files" ? "/etc/app" : kind + "://db1";
  c.host = "db-backup-1";
  c.repository = "primary";
  c.snapshot = "1a2b3c4d";
  c.snapshot_time = Timestamp{1737369000 - 3600, 0};  // an hour before the report
  c.verdict = v;
  c.reason = reason;
  c.bytes = 2048;
  c.seconds = 1.5;
  return c;
}

ValidationReport Plan() {
  ValidationReport r;
  r.date = Timestamp{1737369000, 0};  // 2025-01-20 10:30:00 UTC
  r.configured = true;
  r.snapshots = {Check("postgres", Verdict::kPass), Check("redis", Verdict::kPass),
                 Check("files", Verdict::kPass)};
  JobCheck j;
  j.job = "postgres";
  j.schedule = "0 2 * * *";
  j.verdict = Verdict::kPass;
  j.last_result = "success";
  r.jobs = {j};
  return r;
}

TEST(ValidationReport, TextStartsAsThePlansDoes) {
  std::string text = RenderReportText(Plan());
  EXPECT_EQ(text.substr(0, text.find("\n\nRestore tests:")),
            "Backup Validation Report\n"
            "========================\n"
            "Date: 2025-01-20 10:30:00\n"
            "Validation Namespace: backup-validation\n"
            "\n"
            "Summary:\n"
            "- PostgreSQL Backup: PASS\n"
            "- MongoDB Backup: SKIP (no MongoDB source configured)\n"
            "- Redis Backup: PASS\n"
            "- Configuration Backup: PASS\n"
            "- Backup Jobs: PASS");
  EXPECT_NE(text.find("taken 2025-01-20 09:30:00 UTC (1h"), std::string::npos) << text;
  EXPECT_TRUE(Plan().passed());
}

TEST(ValidationReport, OneFailureFailsItsGroupWithTheReason) {
  ValidationReport r = Plan();
  r.snapshots.push_back(Check("redis", Verdict::kFail, "db0: 9 keys (10 at backup)"));
  auto summary = r.Summary();
  ASSERT_EQ(summary.size(), 5u);
  EXPECT_EQ(summary[2].name, "Redis Backup");
  EXPECT_EQ(summary[2].verdict, Verdict::kFail);
  EXPECT_EQ(summary[2].reason, "snapshot 1a2b3c4d of redis://db1: db0: 9 keys (10 at backup)");
  EXPECT_EQ(summary[0].verdict, Verdict::kPass);
  EXPECT_FALSE(r.passed());
  EXPECT_NE(RenderReportText(r).find("- Redis Backup: FAIL (snapshot 1a2b3c4d"), std::string::npos);
}

TEST(ValidationReport, AFailedJobFailsBackupJobsAndNoJobsIsSkip) {
  ValidationReport r = Plan();
  r.jobs[0].verdict = Verdict::kFail;
  r.jobs[0].reason = "it has never run";
  EXPECT_EQ(r.Summary()[4].verdict, Verdict::kFail);
  EXPECT_EQ(r.Summary()[4].reason, "job postgres: it has never run");
  EXPECT_FALSE(r.passed());

  ValidationReport repo;
  repo.jobs_skipped = "no config: the run history is not known";
  auto s = repo.Summary();
  for (const SummaryLine& l : s) EXPECT_EQ(l.verdict, Verdict::kSkip) << l.name;
  EXPECT_EQ(s[0].reason, "no PostgreSQL source in the repository");
  EXPECT_EQ(s[4].reason, "no config: the run history is not known");
  EXPECT_TRUE(repo.passed());  // nothing failed; SKIP is not a failure
}

TEST(ValidationReport, JsonAndHtmlCarryTheSameVerdicts) {
  ValidationReport r = Plan();
  r.snapshots.push_back(Check("files", Verdict::kFail, "<b> & \"quoted\""));
  std::string json = RenderReportJson(r);
  EXPECT_NE(json.find("\"passed\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"age_seconds\": 3600"), std::string::npos) << json;
  std::string html = RenderReportHtml(r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("&lt;b&gt; &amp; &quot;quoted&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<b> & "), std::string::npos) << "unescaped text in the page";
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "the page must not fetch anything";
}

}  // namespace
}  // namespace lifeboat
