#include "storage/s3/lifecycle.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

// A GetBucketLifecycleConfiguration answer as AWS documents it: one rule
// with a <Filter>, one with the older rule-level <Prefix>.
constexpr char kAnswer[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
    "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
    "<Expiration><Days>365</Days></Expiration></Rule>"
    "<Rule><ID>old</ID><Prefix>tmp/</Prefix><Status>Disabled</Status>"
    "<NoncurrentVersionTransition><NoncurrentDays>7</NoncurrentDays><StorageClass>GLACIER</StorageClass>"
    "</NoncurrentVersionTransition></Rule>"
    "</LifecycleConfiguration>";

TEST(Lifecycle, ParsesRulesOfBothForms) {
  std::vector<LifecycleRule> rules = ParseLifecycle(kAnswer);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].id, "logs");
  EXPECT_EQ(rules[0].prefix, "logs/");
  EXPECT_TRUE(rules[0].enabled);
  ASSERT_EQ(rules[0].transitions.size(), 1u);
  EXPECT_EQ(rules[0].transitions[0].days, 30);
  EXPECT_EQ(rules[0].transitions[0].storage_class, "STANDARD_IA");
  EXPECT_EQ(rules[0].expiration_days, 365);
  EXPECT_EQ(rules[1].prefix, "tmp/");
  EXPECT_FALSE(rules[1].enabled);
  EXPECT_TRUE(rules[1].transitions.empty());  // a noncurrent-version transition is not one of these
}

TEST(Lifecycle, TieringRuleCoversOnlyDataPacks) {
  LifecycleRule r = TieringRule("prod/db", {{30, "STANDARD_IA"}, {90, "GLACIER"}});
  EXPECT_EQ(r.prefix, "prod/db/data/");
  ASSERT_EQ(r.tags.size(), 1u);
  EXPECT_EQ(r.tags[0].key, "lifeboat-pack");
  EXPECT_EQ(r.tags[0].value, "data");
  std::vector<LifecycleRule> back = ParseLifecycle(LifecycleXml({}, r));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].prefix, "prod/db/data/");
  ASSERT_EQ(back[0].tags.size(), 1u);
  EXPECT_EQ(back[0].tags[0].value, "data");
  EXPECT_EQ(r.id, "lifeboat-tiering-prod/db/data/");
  EXPECT_EQ(TieringRule("", {}).prefix, "data/");
  EXPECT_EQ(RuleDanger(r, "prod/db"), "");
}

TEST(Lifecycle, MergeKeepsOthersRulesAndReplacesOurs) {
  std::vector<LifecycleRule> existing = ParseLifecycle(kAnswer);
  LifecycleRule ours = TieringRule("repo", {{30, "STANDARD_IA"}});
  existing.push_back(ours);  // an earlier apply, with other days
  LifecycleRule again = TieringRule("repo", {{45, "STANDARD_IA"}, {120, "GLACIER"}});
  std::vector<LifecycleRule> merged = ParseLifecycle(LifecycleXml(existing, again));
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].id, "logs");
  EXPECT_EQ(merged[0].expiration_days, 365);
  EXPECT_EQ(merged[1].id, "old");
  EXPECT_FALSE(merged[1].enabled);
  EXPECT_EQ(merged[2].id, again.id);
  ASSERT_EQ(merged[2].transitions.size(), 2u);
  EXPECT_EQ(merged[2].transitions[0].days, 45);
  EXPECT_EQ(merged[2].transitions[1].storage_class, "GLACIER");
}

TEST(Lifecycle, EscapesWhatItWrites) {
  LifecycleRule r = TieringRule("a&b<c", {{30, "STANDARD_IA"}});
  std::string xml = LifecycleXml({}, r);
  EXPECT_NE(xml.find("<Prefix>a&amp;b&lt;c/data/</Prefix>"), std::string::npos);
}

TEST(Lifecycle, DangerNamesRulesThatReachTheRepositoryFiles) {
  auto rule = [](std::string prefix, int transition_days, int expiration_days, std::vector<Tag> tags = {}) {
    LifecycleRule r;
    r.id = "r";
    r.prefix = std::move(prefix);
    r.tags = std::move(tags);
    if (transition_days > 0) r.transitions.push_back({transition_days, "GLACIER"});
    r.expiration_days = expiration_days;
    return r;
  };
  // The whole bucket, the repository's prefix, a shorter one, a sub-folder.
  EXPECT_NE(RuleDanger(rule("", 30, 0), "repo").find("colder storage"), std::string::npos);
  EXPECT_NE(RuleDanger(rule("repo/", 30, 0), "repo"), "");
  EXPECT_NE(RuleDanger(rule("re", 30, 0), "repo"), "");
  EXPECT_NE(RuleDanger(rule("repo/snapshots/", 30, 0), "repo"), "");
  EXPECT_NE(RuleDanger(rule("repo/", 0, 90), "repo").find("deleted"), std::string::npos);
  // data/ without the tag moves tree packs too; expiring packs loses data.
  EXPECT_NE(RuleDanger(rule("repo/data/", 30, 0), "repo").find("tree packs"), std::string::npos);
  EXPECT_NE(RuleDanger(rule("repo/data/00/", 30, 0), "repo").find("tree packs"), std::string::npos);
  EXPECT_NE(RuleDanger(rule("repo/data/", 0, 400), "repo").find("expires"), std::string::npos);
  EXPECT_NE(RuleDanger(rule("", 30, 0, {{"lifeboat-pack", "tree"}}), "repo").find("tree packs"),
            std::string::npos);
  EXPECT_NE(
      RuleDanger(rule("repo/", 0, 30, {{"lifeboat-pack", "data"}}), "repo").find("packs would be deleted"),
      std::string::npos);
  // Data packs alone, tags lifeboat never sets, beside the repository,
  // disabled, or doing nothing.
  EXPECT_EQ(RuleDanger(rule("repo/data/", 30, 0, {{"lifeboat-pack", "data"}}), "repo"), "");
  EXPECT_EQ(RuleDanger(rule("", 30, 0, {{"lifeboat-pack", "data"}}), "repo"), "");
  EXPECT_EQ(RuleDanger(rule("", 30, 9, {{"team", "web"}}), "repo"), "");
  EXPECT_EQ(RuleDanger(rule("", 30, 0, {{"lifeboat-pack", "data"}, {"lifeboat-pack", "tree"}}), "repo"), "");
  EXPECT_EQ(RuleDanger(rule("other/", 30, 90), "repo"), "");
  EXPECT_EQ(RuleDanger(rule("repo2/", 30, 0), "repo"), "");
  LifecycleRule off = rule("", 30, 0);
  off.enabled = false;
  EXPECT_EQ(RuleDanger(off, "repo"), "");
  EXPECT_EQ(RuleDanger(rule("", 0, 0), "repo"), "");
  // A repository at the bucket's root: anything outside data/ reaches it.
  EXPECT_NE(RuleDanger(rule("keys/", 30, 0), ""), "");
  EXPECT_EQ(RuleDanger(rule("data/", 30, 0, {{"lifeboat-pack", "data"}}), ""), "");
}

}  // namespace
}  // namespace lifeboat
