#include <gtest/gtest.h>

#include "storage/s3/s3_storage.h"

namespace lifeboat {
namespace {

TEST(S3Options, ColdRestoreIsOffByDefault) {
  auto o = ParseS3Url("s3:http://127.0.0.1:9000/bucket/prefix", {});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->bucket, "bucket");
  EXPECT_EQ(o->cold_restore_days, 0);
  EXPECT_EQ(o->cold_restore_tier, "Standard");
  EXPECT_EQ(o->cold_restore_poll_seconds, 60);
  EXPECT_EQ(o->cold_restore_max_hours, 48);
  EXPECT_TRUE(o->cold_restore_progress);
}

TEST(S3Options, ColdRestoreOptionsParse) {
  auto o = ParseS3Url("s3:http://127.0.0.1:9000/bucket", {{"s3.cold-restore-days", "7"},
                                                          {"s3.cold-restore-tier", "Bulk"},
                                                          {"s3.cold-restore-poll-seconds", "0.5"},
                                                          {"s3.cold-restore-max-hours", "12"}});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->cold_restore_days, 7);
  EXPECT_EQ(o->cold_restore_tier, "Bulk");
  EXPECT_DOUBLE_EQ(o->cold_restore_poll_seconds, 0.5);
  EXPECT_DOUBLE_EQ(o->cold_restore_max_hours, 12);
}

TEST(S3Options, BadColdRestoreOptionsAreRefusedByName) {
  const std::string url = "s3:http://127.0.0.1:9000/bucket";
  for (const char* days : {"0", "-1", "3x", "", "36501"}) {
    auto o = ParseS3Url(url, {{"s3.cold-restore-days", days}});
    ASSERT_FALSE(o.ok()) << days;
    EXPECT_EQ(o.status().code(), Code::kInvalidArgument);
    EXPECT_NE(o.status().message().find("s3.cold-restore-days"), std::string::npos);
  }
  auto tier = ParseS3Url(url, {{"s3.cold-restore-tier", "standard"}});  // AWS's names are case-sensitive
  ASSERT_FALSE(tier.ok());
  EXPECT_NE(tier.status().message().find("want Expedited, Standard or Bulk"), std::string::npos);
  auto quiet = ParseS3Url(url, {{"s3.cold-restore-progress", "false"}});
  ASSERT_TRUE(quiet.ok()) << quiet.status().message();
  EXPECT_FALSE(quiet->cold_restore_progress);
  EXPECT_FALSE(ParseS3Url(url, {{"s3.cold-restore-progress", "no"}}).ok());
  for (const char* name : {"s3.cold-restore-poll-seconds", "s3.cold-restore-max-hours"}) {
    for (const char* v : {"0", "-2", "soon"}) {
      auto o = ParseS3Url(url, {{name, v}});
      ASSERT_FALSE(o.ok()) << name << "=" << v;
      EXPECT_NE(o.status().message().find(name), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace lifeboat
