#include "repo/local_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lifeboat {
namespace {

class LocalCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lifeboat-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    key_ = MasterKey::Random();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string Slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  void Spit(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << data;
  }
  std::string root_;
  MasterKey key_;
};

TEST_F(LocalCacheTest, KeepsFilesSealedAndGivesThemBack) {
  LocalCache cache(root_ + "/nested/repo-id", key_);
  EXPECT_EQ(cache.Get("keys/a").status().code(), Code::kNotFound);
  std::string data(100000, 'x');
  data += "the secret key name";
  ASSERT_TRUE(cache.Put("keys/a", data).ok());
  auto back = cache.Get("keys/a");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, data);
  // Encrypted on disk, private, tagged for backup tools.
  std::string disk = Slurp(root_ + "/nested/repo-id/keys/a");
  EXPECT_EQ(disk.find("the secret key name"), std::string::npos);
  struct stat st;
  ASSERT_EQ(stat((root_ + "/nested/repo-id/keys/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((root_ + "/nested/repo-id").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(
      Slurp(root_ + "/nested/CACHEDIR.TAG").starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
  // Replaced whole.
  ASSERT_TRUE(cache.Put("keys/a", "short").ok());
  EXPECT_EQ(cache.Get("keys/a").value(), "short");
}

TEST_F(LocalCacheTest, RefusesDamageAnotherNamesFileAndAnotherKey) {
  LocalCache cache(root_ + "/r", key_);
  ASSERT_TRUE(cache.Put("keys/a", "table a").ok());
  ASSERT_TRUE(cache.Put("keys/b", "table b").ok());
  const std::string a = root_ + "/r/keys/a", b = root_ + "/r/keys/b";
  std::string sealed = Slurp(a);
  // A file moved to another name authenticates but names the wrong file.
  Spit(b, sealed);
  EXPECT_EQ(cache.Get("keys/b").status().code(), Code::kCorrupt);
  // A flipped bit, a cut.
  std::string flipped = sealed;
  flipped[20] ^= 1;
  Spit(a, flipped);
  EXPECT_EQ(cache.Get("keys/a").status().code(), Code::kCorrupt);
  Spit(a, sealed.substr(0, sealed.size() - 1));
  EXPECT_EQ(cache.Get("keys/a").status().code(), Code::kCorrupt);
  // Another repository's key.
  Spit(a, sealed);
  MasterKey other_key = MasterKey::Random();
  LocalCache other(root_ + "/r", other_key);
  EXPECT_EQ(other.Get("keys/a").status().code(), Code::kCorrupt);
  EXPECT_EQ(cache.Get("keys/a").value(), "table a");
}

TEST_F(LocalCacheTest, ListsAndRemovesAndRefusesPathsOutside) {
  LocalCache cache(root_ + "/r", key_);
  EXPECT_TRUE(cache.List("keys").value().empty());
  ASSERT_TRUE(cache.Put("keys/b", "2").ok());
  ASSERT_TRUE(cache.Put("keys/a", "1").ok());
  EXPECT_EQ(cache.List("keys").value(), (std::vector<std::string>{"keys/a", "keys/b"}));
  ASSERT_TRUE(cache.Remove("keys/a").ok());
  ASSERT_TRUE(cache.Remove("keys/a").ok());  // gone already
  EXPECT_EQ(cache.List("keys").value(), (std::vector<std::string>{"keys/b"}));
  for (const char* bad : {"../x", "keys/../x", "keys", "keys/", "/keys/a", "keys/a/b", "keys/.."}) {
    EXPECT_EQ(cache.Put(bad, "x").code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(cache.Get(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(DefaultCacheRoot, FollowsTheEnvironment) {
  std::string saved[3];
  const char* names[3] = {"LIFEBOAT_CACHE_DIR", "XDG_CACHE_HOME", "HOME"};
  for (int i = 0; i < 3; ++i) saved[i] = getenv(names[i]) ? getenv(names[i]) : "";
  setenv("HOME", "/home/u", 1);
  unsetenv("XDG_CACHE_HOME");
  unsetenv("LIFEBOAT_CACHE_DIR");
  EXPECT_EQ(DefaultCacheRoot(), "/home/u/.cache/lifeboat");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(DefaultCacheRoot(), "/xdg/lifeboat");
  setenv("LIFEBOAT_CACHE_DIR", "/c", 1);
  EXPECT_EQ(DefaultCacheRoot(), "/c");
  unsetenv("LIFEBOAT_CACHE_DIR");
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  EXPECT_EQ(DefaultCacheRoot(), "");
  for (int i = 0; i < 3; ++i) {
    if (saved[i].empty())
      unsetenv(names[i]);
    else
      setenv(names[i], saved[i].c_str(), 1);
  }
}

}  // namespace
}  // namespace lifeboat
