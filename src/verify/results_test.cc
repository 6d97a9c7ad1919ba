#include "verify/results.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

TEST(Results, RoundTripAndDamagedFilesAreCorrupt) {
  RunResult r;
  r.kind = "verify";
  r.time = Timestamp{1765000000, 5000};
  r.host = "db1";
  r.passed = false;
  r.reason = "1 item(s) differ";
  r.seconds = 2.5;
  r.snapshot = std::string(64, 'a');
  r.source = "files db1 /etc";
  r.test = "files";
  r.job = "config";
  r.bytes = 1234;
  r.files = 7;
  r.sample_group = 2;
  r.sample_groups = 4;
  auto back = ParseRunResult(RunResultJson(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->kind, "verify");
  EXPECT_EQ(back->time, r.time);
  EXPECT_EQ(back->reason, r.reason);
  EXPECT_EQ(back->source, r.source);
  EXPECT_EQ(back->job, "config");
  EXPECT_EQ(back->bytes, 1234u);
  EXPECT_EQ(back->sample_group, 2u);
  EXPECT_EQ(back->sample_groups, 4u);

  RunResult c;
  c.kind = "check";
  c.time = Timestamp{1765000000, 0};
  c.passed = true;
  c.read_data = "all";
  auto check = ParseRunResult(RunResultJson(c));
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->read_data, "all");
  EXPECT_EQ(check->sample_groups, 0u);

  for (const char* bad :
       {"[]", "{\"kind\":\"verify\"}", "{\"kind\":\"nap\",\"time\":\"2026-01-01T00:00:00Z\",\"passed\":true}",
        "{\"kind\":\"verify\",\"time\":\"yesterday\",\"passed\":true}",
        "{\"kind\":\"verify\",\"time\":\"2026-01-01T00:00:00Z\",\"passed\":true,"
        "\"sample\":{\"group\":4,\"groups\":4}}",
        "not json"}) {
    auto p = ParseRunResult(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), Code::kCorrupt) << bad;
  }
}

TEST(Results, TheSourceKeyIgnoresThePathsOrder) {
  Snapshot a, b;
  a.hostname = b.hostname = "web1";
  a.paths = {"/srv", "/etc"};
  b.paths = {"/etc", "/srv"};
  EXPECT_EQ(SourceKey("files", a), SourceKey("files", b));
  EXPECT_EQ(SourceKey("files", a), "files web1 /etc,/srv");
}

}  // namespace
}  // namespace lifeboat
