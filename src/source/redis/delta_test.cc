#include "source/redis/delta.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace lifeboat::redis {
namespace {

std::string ReadSeed(const std::string& name) {
  std::ifstream f(std::string(LIFEBOAT_SOURCE_DIR) + "/tests/fuzz/seeds/rdb/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::map<std::string, RdbEntry> Records(const std::string& rdb, RdbSummary* summary = nullptr) {
  StringInput in(rdb);
  std::map<std::string, RdbEntry> out;
  RdbOptions o;
  o.capture_raw = true;
  auto sum = ParseRdb(in, o, [&](RdbEntry& e) {
    out[std::to_string(e.db) + "/" + e.key] = e;
    return Status::Ok();
  });
  EXPECT_TRUE(sum.ok()) << sum.status().message();
  if (summary && sum.ok()) *summary = *sum;
  return out;
}

TEST(KeyId, DependsOnTheDatabaseAndTheName) {
  EXPECT_EQ(KeyIdOf(0, "a"), KeyIdOf(0, "a"));
  EXPECT_FALSE(KeyIdOf(0, "a") == KeyIdOf(1, "a"));
  EXPECT_FALSE(KeyIdOf(0, "a") == KeyIdOf(0, "b"));
}

TEST(RecordCheck, ChangesWithTheBytesAndTheExpiry) {
  RdbEntry e;
  e.payload_hash = XXH3_64bits_withSeed("\x05hello", 6, 0);
  e.payload_size = 6;
  uint64_t base = RecordCheck(e);
  RdbEntry other = e;
  other.payload_hash = XXH3_64bits_withSeed("\x05hellp", 6, 0);
  EXPECT_NE(RecordCheck(other), base);
  other = e;
  other.payload_hash = XXH3_64bits_withSeed("\x05hello", 6, 1);  // another type byte
  EXPECT_NE(RecordCheck(other), base);
  other = e;
  other.payload_size = 7;
  EXPECT_NE(RecordCheck(other), base);
  other = e;
  other.expire_ms = 1700000000000;
  EXPECT_NE(RecordCheck(other), base);
  other = e;
  other.digest = HashBytes("the canonical digest is not what decides");
  EXPECT_EQ(RecordCheck(other), base);
}

// Hands the parser a few bytes at a time, so that every record's payload
// hash crosses buffer refills.
class TrickleInput final : public RdbInput {
 public:
  explicit TrickleInput(std::string_view data) : data_(data) {}
  Result<size_t> ReadSome(char* buf, size_t n) override {
    size_t k = std::min({n, data_.size() - pos_, size_t(1) + pos_ % 7});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// The payload hash is XXH3 of the bytes after the type byte, seeded with
// it, however the input arrives and whether or not the bytes are kept.
TEST(PayloadHash, IsTheHashOfTheRawBytesInOnePieceOrMany) {
  for (const char* seed : {"redis-7.0-every-type.rdb", "redis-6.0-every-type.rdb"}) {
    std::string rdb = ReadSeed(seed);
    if (rdb.empty()) continue;
    auto with = Records(rdb);
    ASSERT_FALSE(with.empty()) << seed;
    for (const auto& [k, e] : with) {
      ASSERT_FALSE(e.raw.empty()) << k;
      EXPECT_EQ(e.payload_hash, XXH3_64bits_withSeed(e.raw.data() + 1, e.raw.size() - 1,
                                                     static_cast<unsigned char>(e.raw[0])))
          << k;
      EXPECT_EQ(e.payload_size, e.raw.size() - 1) << k;
    }
    TrickleInput in(rdb);
    RdbOptions o;
    o.hash_raw = true;
    o.digests = false;
    size_t n = 0;
    auto sum = ParseRdb(in, o, [&](RdbEntry& e) {
      const RdbEntry& w = with[std::to_string(e.db) + "/" + e.key];
      EXPECT_TRUE(e.raw.empty());
      EXPECT_EQ(e.payload_hash, w.payload_hash) << e.key;
      EXPECT_EQ(e.payload_size, w.payload_size) << e.key;
      EXPECT_EQ(RecordCheck(e), RecordCheck(w)) << e.key;
      ++n;
      return Status::Ok();
    });
    ASSERT_TRUE(sum.ok()) << sum.status().message();
    EXPECT_EQ(n, with.size());
  }
}

// Without digests the parser steps over the same records: same keys, same
// bytes, same expiries, digests zero.
TEST(RdbOptions, WithoutDigestsTheSameRecordsAndBytes) {
  std::string rdb = ReadSeed("redis-7.0-every-type.rdb");
  auto with = Records(rdb);
  StringInput in(rdb);
  RdbOptions o;
  o.capture_raw = true;
  o.digests = false;
  std::map<std::string, RdbEntry> without;
  auto sum = ParseRdb(in, o, [&](RdbEntry& e) {
    without[std::to_string(e.db) + "/" + e.key] = e;
    return Status::Ok();
  });
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  ASSERT_EQ(without.size(), with.size());
  for (const auto& [k, e] : with) {
    EXPECT_EQ(without[k].raw, e.raw) << k;
    EXPECT_EQ(without[k].expire_ms, e.expire_ms) << k;
    EXPECT_EQ(RecordCheck(without[k]), RecordCheck(e)) << k;
    EXPECT_EQ(without[k].digest, Digest128{}) << k;
  }
}

TEST(KeyTable, FindsEveryKeyAndReportsTheOnesNeverSeen) {
  KeyTable t;
  for (int i = 0; i < 20000; ++i) t.Add(KeyIdOf(i % 3, "key" + std::to_string(i)), uint64_t(i));
  ASSERT_TRUE(t.Seal().ok());
  for (int i = 0; i < 20000; ++i) {
    size_t at = t.Find(KeyIdOf(i % 3, "key" + std::to_string(i)));
    ASSERT_NE(at, KeyTable::kNone) << i;
    EXPECT_EQ(t.check(at), uint64_t(i));
    if (i % 100 != 7) t.MarkSeen(at);
  }
  EXPECT_EQ(t.Find(KeyIdOf(0, "absent")), KeyTable::kNone);
  EXPECT_EQ(t.Find(KeyIdOf(1, "key0")), KeyTable::kNone);  // key0 is in db 0
  auto unseen = t.Unseen();
  ASSERT_EQ(unseen.size(), 200u);
  EXPECT_TRUE(ContainsKeyId(DecodeKeyIds(EncodeKeyIds(unseen)).value(), KeyIdOf(7 % 3, "key7")));
}

TEST(KeyTable, EncodesInTheOrderAddedAndDecodesBack) {
  KeyTable t;
  for (int i = 0; i < 1000; ++i) t.Add(KeyIdOf(0, "k" + std::to_string(i)), uint64_t(i) * 7);
  std::string enc = t.Encode();
  KeyTable u;
  ASSERT_TRUE(u.Decode(enc).ok());
  EXPECT_EQ(u.Encode(), enc);
  ASSERT_TRUE(u.Seal().ok());
  for (int i = 0; i < 1000; ++i) {
    size_t at = u.Find(KeyIdOf(0, "k" + std::to_string(i)));
    ASSERT_NE(at, KeyTable::kNone) << i;
    EXPECT_EQ(u.check(at), uint64_t(i) * 7);
  }
  KeyTable other;
  other.Add(KeyIdOf(0, "k1"), 7);
  other.Add(KeyIdOf(0, "k0"), 0);
  EXPECT_NE(other.Encode(), KeyTable().Encode());
  EXPECT_EQ(KeyTable().Decode(enc.substr(0, enc.size() - 1)).code(), Code::kCorrupt);
  EXPECT_EQ(KeyTable().Decode(enc + std::string(24, '\0')).code(), Code::kCorrupt);
  EXPECT_EQ(KeyTable().Decode("not a table").code(), Code::kCorrupt);
  EXPECT_EQ(KeyTable().Decode("").code(), Code::kCorrupt);
}

TEST(KeyTable, RefusesAKeyTwice) {
  KeyTable t;
  t.Add(KeyIdOf(0, "a"), 1);
  t.Add(KeyIdOf(0, "a"), 2);
  EXPECT_EQ(t.Seal().code(), Code::kCorrupt);
}

TEST(KeyIds, RoundTripSortedAndRefuseDamage) {
  std::vector<KeyId> ids = {KeyIdOf(0, "z"), KeyIdOf(0, "a"), KeyIdOf(4, "m")};
  std::string enc = EncodeKeyIds(ids);
  ASSERT_EQ(enc.size(), 48u);
  auto back = DecodeKeyIds(enc);
  ASSERT_TRUE(back.ok());
  for (const KeyId& id : ids) EXPECT_TRUE(ContainsKeyId(*back, id));
  EXPECT_FALSE(ContainsKeyId(*back, KeyIdOf(1, "a")));
  EXPECT_EQ(DecodeKeyIds(enc.substr(0, 47)).status().code(), Code::kCorrupt);
  EXPECT_EQ(DecodeKeyIds(enc.substr(16, 16) + enc.substr(0, 16)).status().code(), Code::kCorrupt);
  EXPECT_EQ(DecodeKeyIds(enc.substr(0, 16) + enc.substr(0, 16)).status().code(), Code::kCorrupt);
}

TEST(RdbLength, EveryWidth) {
  std::string s;
  AppendRdbLength(&s, 63);
  EXPECT_EQ(s, std::string("\x3f"));
  s.clear();
  AppendRdbLength(&s, 300);
  EXPECT_EQ(s, std::string("\x41\x2c"));
  s.clear();
  AppendRdbLength(&s, 70000);
  EXPECT_EQ(s, std::string("\x80\x00\x01\x11\x70", 5));
  s.clear();
  AppendRdbLength(&s, uint64_t(1) << 33);
  EXPECT_EQ(s.size(), 9u);
  EXPECT_EQ(static_cast<unsigned char>(s[0]), 0x81);
}

// Every record of an RDB redis-server 7.0 saved, written again by RdbWriter
// in another order with a function library: the parser reads back the same
// records, expiries and checksum, and the same fingerprint.
TEST(RdbWriter, WritesAnRdbThatReadsBackAsTheSameRecords) {
  RdbSummary want_sum;
  auto want = Records(ReadSeed("redis-7.0-every-type.rdb"), &want_sum);
  ASSERT_FALSE(want.empty());
  std::string out;
  RdbWriter w([&](std::string_view d) {
    out.append(d);
    return Status::Ok();
  });
  ASSERT_TRUE(w.Begin(want_sum.version).ok());
  for (auto it = want.rbegin(); it != want.rend(); ++it) ASSERT_TRUE(w.Entry(it->second).ok());
  ASSERT_TRUE(w.Function("#!lua name=lib\nredis.register_function('f', function() return 1 end)").ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.bytes(), out.size());
  RdbSummary got_sum;
  auto got = Records(out, &got_sum);
  EXPECT_TRUE(got_sum.checksum_checked);
  EXPECT_EQ(got_sum.functions, 1u);
  EXPECT_EQ(got_sum.fingerprint.dbs, want_sum.fingerprint.dbs);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [k, e] : want) {
    ASSERT_TRUE(got.count(k)) << k;
    EXPECT_EQ(got[k].digest, e.digest) << k;
    EXPECT_EQ(got[k].expire_ms, e.expire_ms) << k;
    EXPECT_EQ(got[k].raw, e.raw) << k;
  }
}

}  // namespace
}  // namespace lifeboat::redis
