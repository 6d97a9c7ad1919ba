#include "report/reports.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

namespace lifeboat {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/lifeboat-prices.XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(PriceTable, DefaultsAreAwsListPricesAndUnknownClassesCostAsStandard) {
  PriceTable t = PriceTable::Default();
  EXPECT_DOUBLE_EQ(t.For("STANDARD").gb_month, 0.023);
  EXPECT_DOUBLE_EQ(t.For("STANDARD_IA").gb_month, 0.0125);
  EXPECT_DOUBLE_EQ(t.For("GLACIER").retrieval_gb, 0.01);
  EXPECT_DOUBLE_EQ(t.For("local").gb_month, 0.023);
  EXPECT_DOUBLE_EQ(t.For("REDUCED_REDUNDANCY").gb_month, 0.023);
}

TEST(PriceTable, AFileReplacesOrAddsClasses) {
  std::string path = WriteTemp("STANDARD: {gb_month: 0.02}\nCOLD: {gb_month: 0.001, retrieval_gb: 0.05}\n");
  auto t = PriceTable::Load(path);
  unlink(path.c_str());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_DOUBLE_EQ(t->For("STANDARD").gb_month, 0.02);
  EXPECT_DOUBLE_EQ(t->For("COLD").retrieval_gb, 0.05);
  EXPECT_DOUBLE_EQ(t->For("GLACIER").gb_month, 0.0036);  // kept
}

TEST(PriceTable, MalformedFilesNameTheKey) {
  for (auto [text, want] : std::vector<std::pair<std::string, std::string>>{
           {"STANDARD: {gb_month: cheap}", "STANDARD.gb_month: not a number"},
           {"STANDARD: {gb_month: -1}", "STANDARD.gb_month: negative"},
           {"STANDARD: {per_gb: 1}", "STANDARD.per_gb: unknown key"},
           {"- a list", "want a map of storage classes"},
       }) {
    std::string path = WriteTemp(text);
    auto t = PriceTable::Load(path);
    unlink(path.c_str());
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_NE(t.status().message().find(want), std::string::npos) << t.status().message();
  }
}

TEST(Reports, AnEmptyRepositoryRendersInEveryForm) {
  RepositoryFacts f;
  f.now = Timestamp{1767225600, 0};
  f.repository = "primary";
  for (const char* form : {"text", "json", "html", "csv"}) {
    EXPECT_TRUE(RenderInventory(f, form).ok()) << form;
  }
  for (const char* form : {"text", "json", "html"}) {
    EXPECT_TRUE(RenderCompliance(f, form).ok()) << form;
    EXPECT_TRUE(RenderCost(f, PriceTable::Default(), form).ok()) << form;
  }
  EXPECT_FALSE(RenderCompliance(f, "csv").ok());
  EXPECT_FALSE(RenderInventory(f, "pdf").ok());
}

}  // namespace
}  // namespace lifeboat
