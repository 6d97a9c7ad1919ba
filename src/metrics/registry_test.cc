#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lifeboat::metrics {
namespace {

TEST(Metrics, RendersThePlansGaugesAndTheConventionalFamilies) {
  Registry r;
  ASSERT_TRUE(
      r.Define("backup_success", Type::kGauge, "1 if the last backup of this type succeeded", {"type"}).ok());
  ASSERT_TRUE(r.Define("lifeboat_job_runs_total", Type::kCounter, "Runs by result", {"job", "result"}).ok());
  ASSERT_TRUE(r.Set("backup_success", {"redis"}, 0).ok());
  ASSERT_TRUE(r.Set("backup_success", {"postgres"}, 1).ok());
  ASSERT_TRUE(r.Add("lifeboat_job_runs_total", {"pg", "success"}, 1).ok());
  ASSERT_TRUE(r.Add("lifeboat_job_runs_total", {"pg", "success"}, 2).ok());
  EXPECT_EQ(r.Render(),
            "# HELP backup_success 1 if the last backup of this type succeeded\n"
            "# TYPE backup_success gauge\n"
            "backup_success{type=\"postgres\"} 1\n"
            "backup_success{type=\"redis\"} 0\n"
            "# HELP lifeboat_job_runs_total Runs by result\n"
            "# TYPE lifeboat_job_runs_total counter\n"
            "lifeboat_job_runs_total{job=\"pg\",result=\"success\"} 3\n");
  double v = 0;
  EXPECT_TRUE(r.Get("lifeboat_job_runs_total", {"pg", "success"}, &v));
  EXPECT_EQ(v, 3);
  r.Remove("backup_success", {"redis"});
  EXPECT_FALSE(r.Get("backup_success", {"redis"}, &v));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry r;
  ASSERT_TRUE(
      r.Define("lifeboat_job_duration_seconds", Type::kHistogram, "Run time", {"job"}, {1, 10, 60}).ok());
  for (double d : {0.5, 5.0, 5.0, 30.0, 600.0})
    ASSERT_TRUE(r.Observe("lifeboat_job_duration_seconds", {"pg"}, d).ok());
  EXPECT_EQ(r.Render(),
            "# HELP lifeboat_job_duration_seconds Run time\n"
            "# TYPE lifeboat_job_duration_seconds histogram\n"
            "lifeboat_job_duration_seconds_bucket{job=\"pg\",le=\"1\"} 1\n"
            "lifeboat_job_duration_seconds_bucket{job=\"pg\",le=\"10\"} 3\n"
            "lifeboat_job_duration_seconds_bucket{job=\"pg\",le=\"60\"} 4\n"
            "lifeboat_job_duration_seconds_bucket{job=\"pg\",le=\"+Inf\"} 5\n"
            "lifeboat_job_duration_seconds_sum{job=\"pg\"} 640.5\n"
            "lifeboat_job_duration_seconds_count{job=\"pg\"} 5\n");
}

TEST(Metrics, EscapesAndValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(FormatValue(12.5), "12.5");
  EXPECT_EQ(FormatValue(1767225600), "1767225600");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatValue(NAN), "NaN");
  Registry r;
  ASSERT_TRUE(r.Define("m", Type::kGauge, "line one\nback\\slash", {"path"}).ok());
  ASSERT_TRUE(r.Set("m", {"/srv/\"x\""}, 1).ok());
  EXPECT_EQ(r.Render(), "# HELP m line one\\nback\\\\slash\n# TYPE m gauge\nm{path=\"/srv/\\\"x\\\"\"} 1\n");
}

TEST(Metrics, RefusesWhatPrometheusWouldNot) {
  Registry r;
  EXPECT_FALSE(r.Define("9lives", Type::kGauge, "", {}).ok());
  EXPECT_FALSE(r.Define("a-b", Type::kGauge, "", {}).ok());
  EXPECT_FALSE(r.Define("ok", Type::kGauge, "", {"__reserved"}).ok());
  EXPECT_FALSE(r.Define("ok", Type::kGauge, "", {"a:b"}).ok());
  EXPECT_FALSE(r.Define("h", Type::kHistogram, "", {"le"}, {1}).ok());
  EXPECT_FALSE(r.Define("h", Type::kHistogram, "", {}, {}).ok());
  EXPECT_FALSE(r.Define("h", Type::kHistogram, "", {}, {2, 1}).ok());
  ASSERT_TRUE(r.Define("g", Type::kGauge, "", {"job"}).ok());
  EXPECT_TRUE(r.Define("g", Type::kGauge, "", {"job"}).ok());  // again: no-op
  EXPECT_FALSE(r.Define("g", Type::kCounter, "", {"job"}).ok());
  EXPECT_FALSE(r.Define("g", Type::kGauge, "", {"type"}).ok());
  EXPECT_FALSE(r.Set("g", {}, 1).ok());         // wrong label count
  EXPECT_FALSE(r.Set("nope", {"x"}, 1).ok());   // undeclared
  EXPECT_FALSE(r.Observe("g", {"x"}, 1).ok());  // not a histogram
  ASSERT_TRUE(r.Define("c", Type::kCounter, "", {}).ok());
  EXPECT_FALSE(r.Set("c", {}, 5).ok());     // a counter is not set
  EXPECT_FALSE(r.Add("c", {}, -1).ok());    // nor lowered
  EXPECT_TRUE(r.Add("g", {"x"}, -1).ok());  // a gauge may go down
}

}  // namespace
}  // namespace lifeboat::metrics
