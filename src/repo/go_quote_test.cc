#include "repo/go_quote.h"

#include <gtest/gtest.h>

#include "repo/tree.h"

namespace lifeboat {
namespace {

// Expected forms are what Go 1.19's strconv.Quote prints (restic 0.14).
TEST(GoQuote, EscapesAsGoDoes) {
  EXPECT_EQ(GoQuote("plain.txt"), "plain.txt");
  EXPECT_EQ(GoQuote(std::string("latin1-\xe9.bin")), "latin1-\\xe9.bin");
  EXPECT_EQ(GoQuote("back\\slash"), "back\\\\slash");
  EXPECT_EQ(GoQuote("a \"quoted\" name"), "a \\\"quoted\\\" name");
  EXPECT_EQ(GoQuote("new\nline\ttab\rcr"), "new\\nline\\ttab\\rcr");
  EXPECT_EQ(GoQuote(std::string("\a\b\f\v\x01\x1f\x7f", 7)), "\\a\\b\\f\\v\\x01\\x1f\\x7f");
  EXPECT_EQ(GoQuote("pr\xc3\xbc"
                    "fung-\xe6\x97\xa5"),
            "pr\xc3\xbc"
            "fung-\xe6\x97\xa5");
  EXPECT_EQ(GoQuote("nb\xc2\xa0sp"), "nb\\u00a0sp");
  EXPECT_EQ(GoQuote("c1\xc2\x85"), "c1\\u0085");
  EXPECT_EQ(GoQuote("\xef\xbb\xbf"
                    "bom"),
            "\\ufeffbom");
  EXPECT_EQ(GoQuote("\xf3\xb0\x80\x80"), "\\U000f0000");
  // Overlong encodings and surrogates are bytes, not runes, for Go.
  EXPECT_EQ(GoQuote("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(GoQuote("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(GoQuote(std::string("nul\0", 4)), "nul\\x00");
}

TEST(GoQuote, UnquoteReadsEveryEscape) {
  EXPECT_EQ(GoUnquote("latin1-\\xe9.bin"), std::string("latin1-\xe9.bin"));
  EXPECT_EQ(GoUnquote("\\a\\b\\f\\n\\r\\t\\v\\\\\\\""), std::string("\a\b\f\n\r\t\v\\\""));
  EXPECT_EQ(GoUnquote("\\101\\377"), std::string("A\xff"));
  EXPECT_EQ(GoUnquote("\\u00e9\\U0001F600"), std::string("\xc3\xa9\xf0\x9f\x98\x80"));
  EXPECT_EQ(GoUnquote("\xe6\x97\xa5"), std::string("\xe6\x97\xa5"));
  for (const char* bad : {"a\"b", "trailing\\", "\\q", "\\x4", "\\u12", "\\400", "\\ud800", "raw\nnl"}) {
    EXPECT_FALSE(GoUnquote(bad).has_value()) << bad;
  }
}

TEST(GoQuote, EveryByteSurvivesTheRoundTrip) {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  for (const std::string& name :
       {all, std::string("caf\xe9"), std::string("x\xf0\x9f\x98"), std::string("\xc2\xa0\\\"\n")}) {
    EXPECT_EQ(GoUnquote(GoQuote(name)), name);
  }
}

// The bytes restic 0.14 writes for the name "latin1-\xe9.bin" read back
// exactly, and lifeboat writes the same form.
TEST(GoQuote, TreesCarryResticsForm) {
  std::string restic_tree =
      R"({"nodes":[{"name":"latin1-\\xe9.bin","type":"file","mode":420,)"
      R"("mtime":"2026-12-02T07:38:38.6636+00:00","atime":"2026-12-02T07:38:38.6636+00:00",)"
      R"("ctime":"2026-12-02T07:38:38.6636+00:00","uid":0,"gid":0,"content":[]},)"
      R"({"name":"q\\\"b\\\\s","type":"file","mode":420,"content":[]}]})";
  auto t = DecodeTree(restic_tree);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->nodes.size(), 2u);
  EXPECT_EQ(t->nodes[0].name, std::string("latin1-\xe9.bin"));
  EXPECT_EQ(t->nodes[1].name, "q\"b\\s");
  std::string ours = EncodeTree(*t);
  EXPECT_NE(ours.find(R"("name":"latin1-\\xe9.bin")"), std::string::npos) << ours;
  EXPECT_NE(ours.find(R"("name":"q\\\"b\\\\s")"), std::string::npos) << ours;
  EXPECT_EQ(ours.find("name_raw"), std::string::npos);
}

// Trees lifeboat wrote before names were quoted keep their exact bytes in
// name_raw; they still read.
TEST(GoQuote, OlderLifeboatTreesStillRead) {
  auto t = DecodeTree(R"({"nodes":[{"name":"caf\ufffd","name_raw":"Y2Fm6Q==","type":"file","content":[]},)"
                      R"({"name":"odd\"quote","type":"file","content":[]}]})");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->nodes[0].name, std::string("caf\xe9"));
  EXPECT_EQ(t->nodes[1].name, "odd\"quote");
}

}  // namespace
}  // namespace lifeboat
