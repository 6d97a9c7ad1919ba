#include "source/postgres/target_time.h"

#include <gtest/gtest.h>

namespace lifeboat::pg {
namespace {

Timestamp Utc(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

Timestamp P(std::string_view text, std::string_view zone) {
  auto r = ParseTargetTime(text, zone);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : Timestamp{};
}

TEST(TargetTime, FormsPostgresAccepts) {
  const Timestamp t = Utc("2026-12-02T07:38:38.6636Z");
  // What now() prints, the docs' form, and its neighbours.
  for (const char* s :
       {"2026-12-02 07:38:38.6636+00", "2026-12-02 07:38:38.6636+00:00", "2026-12-02T07:38:38.6636Z",
        "2026-12-02 07:38:38.6636 UTC", "2026-12-02 07:38:38.6636 utc", "2026-12-02 07:38:38.6636 GMT",
        "2026-12-02 08:38:38.6636+01", "2026-12-02 08:38:38.6636 +0100", "2026-12-02 02:38:38.6636-05",
        "2026-12-02 02:38:38.6636 EST", "2026-12-02 08:38:38.6636 Europe/Berlin",
        "2026-12-02 08:38:38.6636 CET", "  2026-12-02   07:38:38.6636  z "}) {
    auto got = ParseTargetTime(s, "Etc/UTC");
    ASSERT_TRUE(got.ok()) << s << ": " << got.status().message();
    EXPECT_EQ(*got, t) << s;
  }
  EXPECT_EQ(P("2026-12-02", "UTC"), Utc("2026-12-02T00:00:00Z"));
  EXPECT_EQ(P("2026-12-02 07:38", "UTC"), Utc("2026-12-02T07:38:00Z"));
  EXPECT_EQ(P("2026-07-01 12:00:00 America/New_York", ""), Utc("2026-07-01T16:00:00Z"));
}

TEST(TargetTime, NoZoneMeansTheServersZone) {
  EXPECT_EQ(P("2026-12-02 08:00:00", "Europe/Berlin"), Utc("2026-12-02T07:00:00Z"));
  EXPECT_EQ(P("2026-07-02 08:00:00", "Europe/Berlin"), Utc("2026-07-02T06:00:00Z"));
  EXPECT_EQ(P("2026-12-02 08:00:00", ""), Utc("2026-12-02T08:00:00Z"));
  EXPECT_FALSE(ParseTargetTime("2026-12-02 08:00:00", "Nowhere/Land").ok());
}

TEST(TargetTime, RefusesTheRest) {
  for (const char* s :
       {"now", "yesterday", "12/02/2026 07:38", "2026-13-01", "2026-02-30 10:00", "2026-12-02 25:00",
        "2026-12-02 07:38:38.+00", "2026-12-02 07:38:38 Mars/Olympus", "2026-12-02 07:38:38+99",
        "2026-12-02 07:38:38 UTC extra", "2026-12-02 07:38:38 ../../etc/passwd", ""}) {
    auto got = ParseTargetTime(s, "UTC");
    EXPECT_FALSE(got.ok()) << s;
    if (!got.ok()) EXPECT_EQ(got.status().code(), Code::kInvalidArgument) << s;
  }
}

TEST(TargetTime, NormalForm) {
  EXPECT_EQ(FormatTargetTime(Utc("2026-12-02T07:38:38.6636Z")), "2026-12-02 07:38:38.6636+00");
  EXPECT_EQ(FormatTargetTime(Utc("2026-12-02T07:38:38Z")), "2026-12-02 07:38:38+00");
  auto back = ParseTargetTime(FormatTargetTime(Utc("2026-12-02T07:38:38.000001Z")), "Asia/Tokyo");
  EXPECT_EQ(*back, Utc("2026-12-02T07:38:38.000001Z"));
}

}  // namespace
}  // namespace lifeboat::pg
