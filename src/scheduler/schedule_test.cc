#include "scheduler/schedule.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

Timestamp At(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(Timestamp{});
}

std::string NextOf(const char* spec, const char* after) {
  auto s = Schedule::Parse(spec);
  EXPECT_TRUE(s.ok()) << spec << ": " << s.status().message();
  if (!s.ok()) return "";
  auto n = s->Next(At(after));
  return n ? FormatRfc3339(*n) : "never";
}

std::string PreviousOf(const char* spec, const char* at) {
  auto s = Schedule::Parse(spec);
  EXPECT_TRUE(s.ok()) << spec;
  if (!s.ok()) return "";
  auto p = s->Previous(At(at));
  return p ? FormatRfc3339(*p) : "none";
}

TEST(Schedule, ThePlansTimes) {
  EXPECT_EQ(NextOf("0 2 * * *", "2026-12-02T01:59:59Z"), "2026-12-02T02:00:00Z");
  EXPECT_EQ(NextOf("0 2 * * *", "2026-12-02T02:00:00Z"), "2026-12-03T02:00:00Z");  // strictly after
  EXPECT_EQ(NextOf("30 2 * * *", "2026-12-02T02:00:00Z"), "2026-12-02T02:30:00Z");
  EXPECT_EQ(NextOf("0 */6 * * *", "2026-12-02T13:10:00Z"), "2026-12-02T18:00:00Z");
  EXPECT_EQ(NextOf("0 3 * * *", "2026-12-31T03:00:00Z"), "2027-01-01T03:00:00Z");
  // Weekly restore test, Sundays 04:00 (2026-12-06 is a Sunday).
  EXPECT_EQ(NextOf("0 4 * * 0", "2026-12-02T00:00:00Z"), "2026-12-06T04:00:00Z");
  EXPECT_EQ(NextOf("0 4 * * 7", "2026-12-02T00:00:00Z"), "2026-12-06T04:00:00Z");
  EXPECT_EQ(NextOf("0 4 * * sun", "2026-12-02T00:00:00Z"), "2026-12-06T04:00:00Z");
}

TEST(Schedule, MonthEndsAndLeapDays) {
  EXPECT_EQ(NextOf("0 0 31 * *", "2026-04-01T00:00:00Z"), "2026-05-31T00:00:00Z");  // April has 30
  EXPECT_EQ(NextOf("0 0 30 * *", "2027-01-30T00:00:00Z"), "2027-03-30T00:00:00Z");  // skips February
  EXPECT_EQ(NextOf("0 0 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(NextOf("59 23 28-31 * *", "2026-02-28T23:59:00Z"), "2026-03-28T23:59:00Z");
  EXPECT_EQ(NextOf("@monthly", "2026-12-15T10:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(NextOf("@yearly", "2026-12-15T10:00:00Z"), "2027-01-01T00:00:00Z");
}

TEST(Schedule, FieldForms) {
  EXPECT_EQ(NextOf("5,35 * * * *", "2026-12-02T10:06:00Z"), "2026-12-02T10:35:00Z");
  EXPECT_EQ(NextOf("10-12/2 * * * *", "2026-12-02T10:11:00Z"), "2026-12-02T10:12:00Z");
  EXPECT_EQ(NextOf("10-12/2 * * * *", "2026-12-02T10:12:00Z"), "2026-12-02T11:10:00Z");
  EXPECT_EQ(NextOf("50/5 * * * *", "2026-12-02T10:56:00Z"), "2026-12-02T11:50:00Z");
  EXPECT_EQ(NextOf("0 0 1 jan,Jul *", "2026-02-01T00:00:00Z"), "2026-07-01T00:00:00Z");
  EXPECT_EQ(NextOf("0 9 * * mon-fri", "2026-12-04T09:00:00Z"), "2026-12-07T09:00:00Z");  // Fri -> Mon
  EXPECT_EQ(NextOf("0 9 * * 5-7", "2026-12-06T09:00:00Z"), "2026-12-11T09:00:00Z");      // Sun -> Fri
  EXPECT_EQ(NextOf("  0   2 *  * *  ", "2026-12-02T00:00:00Z"), "2026-12-02T02:00:00Z");
}

TEST(Schedule, DayOfMonthOrDayOfWeekAsInVixieCron) {
  // Both restricted: the 13th or any Friday (2026-12-04 is a Friday).
  EXPECT_EQ(NextOf("0 0 13 * 5", "2026-12-01T00:00:00Z"), "2026-12-04T00:00:00Z");
  EXPECT_EQ(NextOf("0 0 13 * 5", "2026-12-11T00:00:00Z"), "2026-12-13T00:00:00Z");
  // A field starting with '*' counts as unrestricted: both must match.
  EXPECT_EQ(NextOf("0 0 */2 * 5", "2026-12-01T00:00:00Z"), "2026-12-11T00:00:00Z");  // odd days, Fridays
}

TEST(Schedule, EveryIsAGridFromTheEpoch) {
  auto s = Schedule::Parse("@every 6h");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->interval(), 21600);
  EXPECT_EQ(NextOf("@every 6h", "2026-12-02T13:10:00Z"), "2026-12-02T18:00:00Z");
  EXPECT_EQ(NextOf("@every 6h", "2026-12-02T18:00:00Z"), "2026-12-03T00:00:00Z");
  EXPECT_EQ(NextOf("@every 90m", "2026-12-02T00:00:00Z"), "2026-12-02T01:30:00Z");
  EXPECT_EQ(PreviousOf("@every 6h", "2026-12-02T13:10:00Z"), "2026-12-02T12:00:00Z");
  EXPECT_EQ(PreviousOf("@every 6h", "2026-12-02T12:00:00Z"), "2026-12-02T12:00:00Z");
}

TEST(Schedule, PreviousIsTheMissedRun) {
  EXPECT_EQ(PreviousOf("0 2 * * *", "2026-12-02T01:59:00Z"), "2026-12-01T02:00:00Z");
  EXPECT_EQ(PreviousOf("0 2 * * *", "2026-12-02T02:00:00Z"), "2026-12-02T02:00:00Z");  // at or before
  EXPECT_EQ(PreviousOf("0 0 31 * *", "2026-05-01T00:00:00Z"), "2026-03-31T00:00:00Z");
  EXPECT_EQ(PreviousOf("0 0 29 2 *", "2028-02-28T00:00:00Z"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(PreviousOf("0 4 * * 0", "2026-12-05T12:00:00Z"), "2026-11-29T04:00:00Z");
  // Next and Previous agree on every fire time of a busy expression.
  auto s = Schedule::Parse("7,37 1-5 */3 * mon");
  ASSERT_TRUE(s.ok());
  Timestamp t = At("2026-01-01T00:00:00Z");
  for (int i = 0; i < 200; ++i) {
    auto n = s->Next(t);
    ASSERT_TRUE(n.has_value());
    ASSERT_LT(t, *n);
    EXPECT_EQ(s->Previous(*n), n);
    EXPECT_EQ(s->Previous(Timestamp{n->sec - 1, 0}).value_or(Timestamp{}) < *n, true);
    t = *n;
  }
}

TEST(Schedule, ErrorsNameTheFieldAndTheText) {
  struct Case {
    const char* spec;
    const char* message;
  } cases[] = {
      {"0 25 * * *", "schedule \"0 25 * * *\": hour \"25\" is not a value, range, list or step in 0-23"},
      {"60 * * * *", "minute \"60\""},
      {"0 0 0 * *", "day of month \"0\""},
      {"0 0 * 13 *", "month \"13\""},
      {"0 0 * * 8", "day of week \"8\""},
      {"0 0 * * funday", "day of week \"funday\""},
      {"5-1 * * * *", "minute \"5-1\""},
      {"*/0 * * * *", "minute \"*/0\""},
      {"1,,2 * * * *", "minute \"1,,2\""},
      {"0 2 * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 4"},
      {"", "found 0"},
      {"@sometimes", "unknown macro"},
      {"@every", "\"@every\" needs a duration"},
      {"@every 0s", "at least one"},
      {"@every 1.5s", "whole seconds"},
      {"@every soon", "\"@every\" needs a duration"},
      {"0 0 31 2 *", "never fires"},
      {"0 0 30,31 2 *", "never fires"},
  };
  for (const auto& c : cases) {
    auto s = Schedule::Parse(c.spec);
    ASSERT_FALSE(s.ok()) << c.spec;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument) << c.spec;
    EXPECT_NE(s.status().message().find(c.message), std::string::npos)
        << c.spec << " gave: " << s.status().message();
  }
}

}  // namespace
}  // namespace lifeboat
