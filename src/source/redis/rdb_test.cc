#include "source/redis/rdb.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "source/redis/crc64.h"

namespace lifeboat::redis {
namespace {

TEST(Crc64, RedisTestVector) {
  // Redis's own crc64 test: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caull);
  std::string longer(1000, 'x');
  uint64_t whole = Crc64(0, longer);
  EXPECT_EQ(Crc64(Crc64(0, longer.substr(0, 333)), longer.substr(333)), whole);
}

std::string ReadSeed(const std::string& name) {
  std::ifstream f(std::string(LIFEBOAT_SOURCE_DIR) + "/tests/fuzz/seeds/rdb/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// An RDB that redis-server 7.0 saved (tests/fuzz/seeds/rdb): every type in
// its small and its large encoding, TTLs, two databases, a consumer group.
TEST(Rdb, ReadsWhatRedis7Saves) {
  std::string rdb = ReadSeed("redis-7.0-every-type.rdb");
  ASSERT_FALSE(rdb.empty());
  StringInput in(rdb);
  std::map<std::string, RdbEntry> keys;
  auto sum = ParseRdb(in, RdbOptions{}, [&](RdbEntry& e) {
    keys[e.key] = e;
    return Status::Ok();
  });
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  EXPECT_EQ(sum->version, 10);
  EXPECT_TRUE(sum->checksum_checked);
  EXPECT_EQ(sum->aux["redis-ver"], "7.0.15");
  EXPECT_EQ(sum->bytes, rdb.size());
  ASSERT_EQ(sum->fingerprint.dbs.size(), 2u);
  EXPECT_EQ(sum->fingerprint.dbs[0].keys, 16u);
  EXPECT_EQ(sum->fingerprint.dbs[0].expires, 1u);
  EXPECT_EQ(sum->fingerprint.dbs[3].keys, 1u);
  EXPECT_EQ(sum->fingerprint.dbs[3].expires, 1u);
  EXPECT_EQ(keys["list:big"].elements, 300u);
  EXPECT_EQ(keys["list:small"].elements, 4u);
  EXPECT_EQ(keys["set:big"].elements, 200u);
  EXPECT_EQ(keys["set:int"].elements, 5u);
  EXPECT_EQ(keys["hash:big"].elements, 200u);
  EXPECT_EQ(keys["zset:big"].elements, 200u);
  EXPECT_EQ(keys["stream:s"].elements, 3u);
  EXPECT_EQ(keys["stream:s"].kind, Kind::kStream);
  EXPECT_EQ(keys["zset:small"].kind, Kind::kZset);
  EXPECT_GT(keys["str:ttl"].expire_ms, 0);
  EXPECT_EQ(keys["str:plain"].expire_ms, -1);

  // The digest depends on the data, not on its encoding: a string read as
  // an integer encoding equals the same text given plainly.
  ValueDigest d(Kind::kString);
  d.String("12345");
  EXPECT_EQ(keys["str:int"].digest, d.Finish());
  ValueDigest small(Kind::kZset);
  small.ZsetMember("b", 2.5);
  small.ZsetMember("c", -3);
  small.ZsetMember("a", 1);  // any order
  EXPECT_EQ(keys["zset:small"].digest, small.Finish());
  ValueDigest ints(Kind::kSet);
  for (const char* m : {"1000000", "-5", "3", "2", "1"}) ints.SetMember(m);
  EXPECT_EQ(keys["set:int"].digest, ints.Finish());
}

TEST(Rdb, RawValuesReplayAsDumpPayloads) {
  std::string rdb = ReadSeed("redis-7.0-every-type.rdb");
  StringInput in(rdb);
  RdbOptions o;
  o.capture_raw = true;
  std::string plain;
  auto sum = ParseRdb(in, o, [&](RdbEntry& e) {
    if (e.key == "str:plain") plain = e.raw;
    EXPECT_EQ(static_cast<unsigned char>(e.raw[0]), e.rdb_type);
    return Status::Ok();
  });
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  // DUMP of a short string: type 0, length 5, "hello", version, CRC.
  EXPECT_EQ(plain, std::string("\x00\x05hello", 7));
  std::string payload = DumpPayload(plain, 10);
  EXPECT_EQ(payload.size(), 7u + 2 + 8);
}

// A Redis 6 style RDB by hand: a quicklist of one ziplist, a ziplist hash,
// an intset, a zipmap hash, an LZF string and a second-resolution expiry.
std::string Redis6Rdb() {
  std::string zl;  // ziplist: "ab", 7, 300
  std::string entries = std::string(
                            "\x00\x02"
                            "ab",
                            4) +
                        std::string("\x04\xf8", 2) + std::string("\x02\xc0\x2c\x01", 4);
  uint32_t bytes = 10 + entries.size() + 1;
  zl.append(reinterpret_cast<const char*>(&bytes), 4);
  zl.append("\x00\x00\x00\x00", 4);
  zl.append("\x03\x00", 2);
  zl += entries;
  zl += '\xff';
  std::string hz;  // ziplist hash: f -> v
  std::string he = std::string(
                       "\x00\x01"
                       "f",
                       3) +
                   std::string(
                       "\x03\x01"
                       "v",
                       3);
  uint32_t hbytes = 10 + he.size() + 1;
  hz.append(reinterpret_cast<const char*>(&hbytes), 4);
  hz.append("\x00\x00\x00\x00\x02\x00", 6);
  hz += he;
  hz += '\xff';
  std::string is("\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x09\x00", 12);  // intset int16 {5, 9}
  std::string zm("\x01\x01k\x01\x00v\xff", 7);                             // zipmap k -> v
  std::string r = "REDIS0009";
  r += std::string("\xfe\x00", 2);
  r += '\x0e';
  r += std::string("\x01l\x01", 3);
  r += static_cast<char>(zl.size());
  r += zl;
  r += '\x0d';
  r += std::string("\x01h", 2);
  r += static_cast<char>(hz.size());
  r += hz;
  r += '\x0b';
  r += std::string("\x01s", 2);
  r += static_cast<char>(is.size());
  r += is;
  r += '\x09';
  r += std::string("\x01m", 2);
  r += static_cast<char>(zm.size());
  r += zm;
  r += std::string("\xfd\x10\x00\x00\x00", 5);  // expires at 16 s
  r += '\x00';
  r += std::string("\x01z", 2);
  // LZF: "aaaaaaaaaa" as literal "a" + back reference of 9 (len 7 -> ctrl 0xe0, extra 0 -> 9).
  r += std::string(
      "\xc3\x05\x0a\x00"
      "a\xe0\x00\x00",
      8);
  r += '\xff';
  uint64_t crc = Crc64(0, r);
  r.append(reinterpret_cast<const char*>(&crc), 8);
  return r;
}

TEST(Rdb, ReadsRedis6Encodings) {
  std::string rdb = Redis6Rdb();
  StringInput in(rdb);
  std::map<std::string, RdbEntry> keys;
  auto sum = ParseRdb(in, RdbOptions{}, [&](RdbEntry& e) {
    keys[e.key] = e;
    return Status::Ok();
  });
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  ValueDigest l(Kind::kList);
  for (const char* v : {"ab", "7", "300"}) l.ListElement(v);
  EXPECT_EQ(keys["l"].digest, l.Finish());
  ValueDigest h(Kind::kHash);
  h.HashField("f", "v");
  EXPECT_EQ(keys["h"].digest, h.Finish());
  ValueDigest s(Kind::kSet);
  s.SetMember("9");
  s.SetMember("5");
  EXPECT_EQ(keys["s"].digest, s.Finish());
  ValueDigest m(Kind::kHash);
  m.HashField("k", "v");
  EXPECT_EQ(keys["m"].digest, m.Finish());
  ValueDigest z(Kind::kString);
  z.String("aaaaaaaaaa");
  EXPECT_EQ(keys["z"].digest, z.Finish());
  EXPECT_EQ(keys["z"].expire_ms, 16000);
}

TEST(Rdb, DamageIsCorruptNeverACrash) {
  std::string good = ReadSeed("redis-7.0-every-type.rdb");
  auto parse = [](const std::string& data) {
    StringInput in(data);
    return ParseRdb(in, RdbOptions{}, [](RdbEntry&) { return Status::Ok(); }).status();
  };
  EXPECT_EQ(parse("").code(), Code::kCorrupt);
  EXPECT_EQ(parse("NOTRDB0010").code(), Code::kCorrupt);
  EXPECT_EQ(parse(good.substr(0, good.size() / 2)).code(), Code::kCorrupt);  // cut short
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  EXPECT_FALSE(parse(flipped).ok());  // the checksum, or the structure, catches it
  // A string that declares 2^62 bytes is refused before it is allocated.
  std::string huge = "REDIS0010" + std::string("\x00\x01k\x81\x40\x00\x00\x00\x00\x00\x00\x00", 12);
  Status s = parse(huge);
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find("larger than allowed"), std::string::npos) << s.message();
  std::string empty_frames = Redis6Rdb();
  empty_frames[empty_frames.size() - 3] ^= 1;  // checksum
  EXPECT_NE(parse(empty_frames).message().find("checksum"), std::string::npos);
}

TEST(Fingerprint, JsonRoundTripAndOrderIndependence) {
  Fingerprint a, b;
  ValueDigest v(Kind::kString);
  v.String("x");
  a.AddKey(0, "k1", Kind::kString, v.Finish(), false);
  a.AddKey(0, "k2", Kind::kString, v.Finish(), true);
  b.AddKey(0, "k2", Kind::kString, v.Finish(), true);
  b.AddKey(0, "k1", Kind::kString, v.Finish(), false);
  EXPECT_EQ(a.dbs[0].digest, b.dbs[0].digest);
  Fingerprint back;
  ASSERT_TRUE(Fingerprint::FromJson(a.ToJson(), &back));
  EXPECT_EQ(back.dbs[0].digest, a.dbs[0].digest);
  EXPECT_EQ(back.dbs[0].keys, 2u);
  EXPECT_EQ(back.dbs[0].expires, 1u);
  b.AddKey(0, "k3", Kind::kList, v.Finish(), false);
  EXPECT_NE(a.dbs[0].digest, b.dbs[0].digest);
}

}  // namespace
}  // namespace lifeboat::redis
