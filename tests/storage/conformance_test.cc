// The storage conformance suite: what every Storage driver must do, run on
// the local driver by ctest and on S3 (s3rver) by tests/integration/s3_test.sh.
//
//   LIFEBOAT_CONFORMANCE_URL=s3:http://127.0.0.1:PORT/bucket/prefix storage_conformance_tests
//
// Without the variable, each test uses a new local temporary directory.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "repo/id.h"
#include "storage/storage.h"

namespace lifeboat {
namespace {

std::string Content(const std::string& seed, size_t size) {
  std::string out;
  out.reserve(size + 32);
  uint64_t x = std::hash<std::string>{}(seed) | 1;
  while (out.size() < size) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out.append(reinterpret_cast<const char*>(&x), sizeof x);
  }
  out.resize(size);
  return out;
}

std::string Name(const std::string& seed) { return Id::Hash(seed).Hex(); }

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const char* base = std::getenv("LIFEBOAT_CONFORMANCE_URL");
    StorageOptions options;
    if (base != nullptr && *base != '\0') {
      url_ = std::string(base) + "/" + test + "-" + std::to_string(::getpid());
      if (url_.starts_with("s3:")) options["s3.part-size-mib"] = "5";  // exercise multipart
    } else {
      char tmpl[] = "/tmp/lifeboat-conformance.XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      url_ = dir_ + "/repo";
    }
    auto s = OpenStorage(url_, options);
    ASSERT_TRUE(s.ok()) << s.status().message();
    storage_ = std::move(*s);
    Status c = storage_->Create();
    ASSERT_TRUE(c.ok()) << c.message();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::map<std::string, uint64_t> ListAll(FileType type) {
    std::map<std::string, uint64_t> out;
    Status s = storage_->List(type, [&](const ObjectInfo& o) {
      EXPECT_EQ(out.count(o.name), 0u) << "listed twice: " << o.name;
      out[o.name] = o.size;
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }

  std::string url_, dir_;
  std::unique_ptr<Storage> storage_;
};

TEST_F(Conformance, SaveLoadSizeEveryType) {
  for (FileType t : {FileType::kKey, FileType::kLock, FileType::kSnapshot, FileType::kIndex, FileType::kPack}) {
    std::string name = Name(std::string(FileTypeName(t))), data = Content(name, 1000 + static_cast<int>(t));
    ASSERT_TRUE(storage_->Save(t, name, data).ok());
    auto got = storage_->Load(t, name, 0, 0);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(*got, data);
    auto size = storage_->Size(t, name);
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, data.size());
    auto listed = ListAll(t);
    ASSERT_EQ(listed.size(), 1u) << FileTypeName(t);
    EXPECT_EQ(listed.begin()->first, name);
    EXPECT_EQ(listed.begin()->second, data.size());
  }
  ASSERT_TRUE(storage_->Save(FileType::kConfig, "", "config bytes").ok());
  EXPECT_EQ(storage_->Load(FileType::kConfig, "", 0, 0).value(), "config bytes");
  // With a config present, Create refuses.
  EXPECT_EQ(storage_->Create().code(), Code::kAlreadyExists);
}

TEST_F(Conformance, EmptyObject) {
  ASSERT_TRUE(storage_->Save(FileType::kSnapshot, Name("empty"), "").ok());
  auto got = storage_->Load(FileType::kSnapshot, Name("empty"), 0, 0);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(storage_->Size(FileType::kSnapshot, Name("empty")).value(), 0u);
}

TEST_F(Conformance, RangedReads) {
  std::string name = Name("ranged"), data = Content("ranged", 100000);
  ASSERT_TRUE(storage_->Save(FileType::kPack, name, data).ok());
  for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 1}, {0, 100000}, {1, 99999}, {4096, 4096}, {99999, 1}, {50000, 0}, {12345, 777}}) {
    auto got = storage_->Load(FileType::kPack, name, off, len);
    ASSERT_TRUE(got.ok()) << off << "+" << len << ": " << got.status().message();
    EXPECT_EQ(*got, data.substr(off, len == 0 ? std::string::npos : len)) << off << "+" << len;
  }
  // A range past the end is an error, not short data.
  auto past = storage_->Load(FileType::kPack, name, 99990, 100);
  EXPECT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), Code::kCorrupt) << past.status().message();
}

TEST_F(Conformance, MissingObjects) {
  std::string name = Name("missing");
  auto load = storage_->Load(FileType::kIndex, name, 0, 0);
  EXPECT_EQ(load.status().code(), Code::kNotFound) << load.status().message();
  EXPECT_EQ(storage_->Load(FileType::kPack, name, 10, 10).status().code(), Code::kNotFound);
  EXPECT_EQ(storage_->Size(FileType::kIndex, name).status().code(), Code::kNotFound);
  EXPECT_TRUE(storage_->Remove(FileType::kIndex, name).ok());  // deleting nothing is fine
  EXPECT_TRUE(ListAll(FileType::kIndex).empty());
}

TEST_F(Conformance, OverwriteReplaces) {
  std::string name = Name("lock");
  ASSERT_TRUE(storage_->Save(FileType::kLock, name, "first version").ok());
  ASSERT_TRUE(storage_->Save(FileType::kLock, name, "second, longer version").ok());
  EXPECT_EQ(storage_->Load(FileType::kLock, name, 0, 0).value(), "second, longer version");
  EXPECT_EQ(ListAll(FileType::kLock).size(), 1u);
}

TEST_F(Conformance, DeleteRemoves) {
  std::string a = Name("a"), b = Name("b");
  ASSERT_TRUE(storage_->Save(FileType::kSnapshot, a, "A").ok());
  ASSERT_TRUE(storage_->Save(FileType::kSnapshot, b, "B").ok());
  ASSERT_TRUE(storage_->Remove(FileType::kSnapshot, a).ok());
  EXPECT_EQ(storage_->Load(FileType::kSnapshot, a, 0, 0).status().code(), Code::kNotFound);
  auto listed = ListAll(FileType::kSnapshot);
  EXPECT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed.count(b), 1u);
}

// More entries than one S3 listing page (1000), packs spread over data/XX/.
TEST_F(Conformance, ListManyEntries) {
  constexpr int kSnapshots = 2100, kPacks = 300;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kSnapshots; i += 8) {
        if (!storage_->Save(FileType::kSnapshot, Name("s" + std::to_string(i)), std::to_string(i)).ok()) ++failures;
      }
      for (int i = t; i < kPacks; i += 8) {
        if (!storage_->Save(FileType::kPack, Name("p" + std::to_string(i)), Content("p", i + 1)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  auto snaps = ListAll(FileType::kSnapshot);
  ASSERT_EQ(snaps.size(), size_t{kSnapshots});
  for (int i = 0; i < kSnapshots; ++i) {
    auto it = snaps.find(Name("s" + std::to_string(i)));
    ASSERT_NE(it, snaps.end()) << i;
    EXPECT_EQ(it->second, std::to_string(i).size());
  }
  auto packs = ListAll(FileType::kPack);
  ASSERT_EQ(packs.size(), size_t{kPacks});
  for (int i = 0; i < kPacks; ++i) EXPECT_EQ(packs[Name("p" + std::to_string(i))], uint64_t(i + 1));
  // Other types are not mixed in.
  EXPECT_TRUE(ListAll(FileType::kIndex).empty());
}

// Writers of different objects and of the same object at once.
TEST_F(Conformance, ConcurrentWriters) {
  constexpr int kThreads = 8, kEach = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::string shared = Content("shared", 300000);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string seed = std::to_string(t) + "/" + std::to_string(i);
        if (!storage_->Save(FileType::kPack, Name(seed), Content(seed, 20000 + i)).ok()) ++failures;
        if (i % 5 == 0 && !storage_->Save(FileType::kPack, Name("shared"), shared).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(ListAll(FileType::kPack).size(), size_t{kThreads * kEach + 1});
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      std::string seed = std::to_string(t) + "/" + std::to_string(i);
      auto got = storage_->Load(FileType::kPack, Name(seed), 0, 0);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(*got, Content(seed, 20000 + i));
    }
  }
  EXPECT_EQ(storage_->Load(FileType::kPack, Name("shared"), 0, 0).value(), shared);
}

// Larger than the S3 part size set above (5 MiB): a multipart upload there.
TEST_F(Conformance, LargeObject) {
  std::string name = Name("large"), data = Content("large", (12 << 20) + 12345);
  ASSERT_TRUE(storage_->Save(FileType::kPack, name, data).ok());
  EXPECT_EQ(storage_->Size(FileType::kPack, name).value(), data.size());
  auto got = storage_->Load(FileType::kPack, name, 0, 0);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == data);
  auto tail = storage_->Load(FileType::kPack, name, data.size() - 1000, 1000);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, data.substr(data.size() - 1000));
}

}  // namespace
}  // namespace lifeboat
