#include "base/bytes.h"

#include <gtest/gtest.h>

#include "base/timefmt.h"

namespace lifeboat {
namespace {

TEST(Hex, RoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(*HexDecode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("0"));
  EXPECT_FALSE(HexDecode("zz"));
}

TEST(Base64, Rfc4648Vectors) {
  const char* cases[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                            {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                            {"foobar", "Zm9vYmFy"}};
  for (auto& c : cases) {
    EXPECT_EQ(Base64Encode(c[0]), c[1]);
    EXPECT_EQ(*Base64Decode(c[1]), c[0]);
  }
  EXPECT_FALSE(Base64Decode("Zm9v!"));
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9t\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a surrogate
}

TEST(Time, Rfc3339RoundTrip) {
  Timestamp t{1700000000, 123456789};
  EXPECT_EQ(FormatRfc3339(t), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(*ParseRfc3339("2023-11-14T22:13:20.123456789Z"), t);
  EXPECT_EQ(*ParseRfc3339("2023-11-14T23:13:20.123456789+01:00"), t);
  EXPECT_EQ(FormatRfc3339(Timestamp{1700000000, 500000000}), "2023-11-14T22:13:20.5Z");
  EXPECT_EQ(ParseRfc3339("0001-01-01T00:00:00Z")->sec, -62135596800);
  EXPECT_FALSE(ParseRfc3339("2023-11-14"));
  EXPECT_FALSE(ParseRfc3339("2023-11-14T22:13:20"));
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

// Found by the tree fuzzer: a year below 1000 must be written with four
// digits, or the time does not parse back (ours or restic's parser).
TEST(Time, FourDigitYearsRoundTrip) {
  auto t = ParseRfc3339("0622-11-24T19:29:57.302996768Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatRfc3339(*t), "0622-11-24T19:29:57.302996768Z");
  auto zero = ParseRfc3339("0001-01-01T00:00:00Z");  // Go's zero time, common in restic trees
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(FormatRfc3339(*zero), "0001-01-01T00:00:00Z");
  EXPECT_TRUE(ParseRfc3339(FormatRfc3339(Timestamp{-99999999999, 0})).has_value());  // clamped, still parses
}

TEST(SplitList, DropsEmptyParts) {
  EXPECT_EQ(SplitList("a,b,,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(SplitList(",x,"), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(SplitList("").empty());
  EXPECT_TRUE(SplitList(",,").empty());
  EXPECT_EQ(SplitList("a:b", ':'), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace lifeboat
