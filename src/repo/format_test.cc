// Round trips of the repository's encodings: packs, index, trees, snapshots,
// config and key files.
#include <gtest/gtest.h>

#include "base/bytes.h"

#include "repo/config.h"
#include "repo/index.h"
#include "repo/keyfile.h"
#include "repo/lock.h"
#include "repo/pack.h"
#include "repo/snapshot.h"
#include "repo/tree.h"

namespace lifeboat {
namespace {

TEST(Pack, BuildAndParseHeader) {
  MasterKey key = MasterKey::Random();
  PackBuilder b;
  std::string one = "first blob", two(1000, 'x');
  b.Seal(key, BlobType::kData, Id::Hash(one), one, 0);
  b.Seal(key, BlobType::kTree, Id::Hash(two), "compressed-stand-in", static_cast<uint32_t>(two.size()));
  auto blobs = b.blobs();
  std::string pack(b.Finish(key));
  uint32_t header_len = DecodeFixed32(pack.data() + pack.size() - 4);
  auto plain = key.Open(std::string_view(pack).substr(pack.size() - 4 - header_len, header_len));
  ASSERT_TRUE(plain.ok());
  auto parsed = ParsePackHeader(*plain, pack.size() - 4 - header_len);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].id, Id::Hash(one));
  EXPECT_EQ((*parsed)[0].type, BlobType::kData);
  EXPECT_FALSE((*parsed)[0].compressed());
  EXPECT_EQ((*parsed)[1].type, BlobType::kTree);
  EXPECT_EQ((*parsed)[1].uncompressed_length, 1000u);
  EXPECT_EQ((*parsed)[1].offset, blobs[1].offset);
  // 37 bytes per plain entry, 41 per compressed one.
  EXPECT_EQ(plain->size(), 37u + 41u);
  auto content = OpenBlob(key, (*parsed)[0], std::string_view(pack).substr((*parsed)[0].offset, (*parsed)[0].length));
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, one);
}

TEST(Pack, RejectsBadHeaders) {
  EXPECT_FALSE(ParsePackHeader(std::string(1, '\x07'), 100).ok());      // bad type
  EXPECT_FALSE(ParsePackHeader(std::string(10, '\0'), 100).ok());       // truncated
  std::string entry(37, '\0');
  entry[1] = static_cast<char>(200);  // length 200 > pack
  EXPECT_FALSE(ParsePackHeader(entry, 100).ok());
}

TEST(Index, JsonRoundTrip) {
  IndexedPack p{Id::Hash("pack"), {}};
  p.blobs.push_back(PackedBlob{BlobType::kData, Id::Hash("a"), 0, 50, 0});
  p.blobs.push_back(PackedBlob{BlobType::kTree, Id::Hash("b"), 50, 70, 300});
  std::vector<Id> supersedes = {Id::Hash("old")};
  std::string json = EncodeIndexJson({p}, supersedes);
  std::vector<Id> got_supersedes;
  auto parsed = ParseIndexJson(json, &got_supersedes);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].id, p.id);
  ASSERT_EQ((*parsed)[0].blobs.size(), 2u);
  EXPECT_EQ((*parsed)[0].blobs[1].uncompressed_length, 300u);
  EXPECT_EQ((*parsed)[0].blobs[1].type, BlobType::kTree);
  EXPECT_EQ(got_supersedes, supersedes);

  MasterIndex index;
  index.AddPack(p.id, p.blobs);
  EXPECT_TRUE(index.Has(BlobType::kData, Id::Hash("a")));
  EXPECT_FALSE(index.Has(BlobType::kTree, Id::Hash("a")));
  EXPECT_EQ(index.Lookup(BlobType::kTree, Id::Hash("b"))->blob.offset, 50u);
  EXPECT_FALSE(ParseIndexJson("{\"packs\":[{\"id\":\"zz\"}]}", nullptr).ok());
}

// Many blobs through the sharded sorted index: every lookup finds its own
// location, absent ids and the other type are not found, a duplicate keeps
// its first location, and nothing changes across Compact().
TEST(MasterIndex, ManyBlobsAndDuplicates) {
  MasterIndex index;
  constexpr int kPacks = 400, kPerPack = 500;
  auto blob_id = [](int i) { return Id::Hash("blob-" + std::to_string(i)); };
  for (int p = 0; p < kPacks; ++p) {
    std::vector<PackedBlob> blobs;
    for (int k = kPerPack - 1; k >= 0; --k) {  // offsets out of order on purpose
      int i = p * kPerPack + k;
      blobs.push_back(PackedBlob{i % 7 == 0 ? BlobType::kTree : BlobType::kData, blob_id(i),
                                 static_cast<uint32_t>(k * 100), 100, static_cast<uint32_t>(i)});
    }
    index.AddPack(Id::Hash("pack-" + std::to_string(p)), blobs);
  }
  // The same blob again in a later pack keeps its first location.
  index.AddPack(Id::Hash("late-pack"), {PackedBlob{BlobType::kData, blob_id(1), 0, 100, 0}});
  EXPECT_EQ(index.blob_count(), size_t{kPacks * kPerPack});
  EXPECT_EQ(index.pack_count(), size_t{kPacks + 1});
  auto verify = [&] {
    for (int i = 0; i < kPacks * kPerPack; ++i) {
      BlobType type = i % 7 == 0 ? BlobType::kTree : BlobType::kData;
      auto loc = index.Lookup(type, blob_id(i));
      ASSERT_TRUE(loc.has_value()) << i;
      EXPECT_EQ(loc->pack, Id::Hash("pack-" + std::to_string(i / kPerPack)));
      EXPECT_EQ(loc->blob.offset, static_cast<uint32_t>((i % kPerPack) * 100));
      EXPECT_EQ(loc->blob.uncompressed_length, static_cast<uint32_t>(i));
      EXPECT_FALSE(index.Has(type == BlobType::kTree ? BlobType::kData : BlobType::kTree, blob_id(i)));
    }
    for (int i = 0; i < 1000; ++i) EXPECT_FALSE(index.Has(BlobType::kData, Id::Hash("absent" + std::to_string(i))));
  };
  verify();
  index.Compact();
  verify();
  EXPECT_LE(index.MemoryUsage(), size_t{kPacks * kPerPack} * 48 + 2 * 4096 * 32);
  // ForEachPack lists every copy: the duplicate in "late-pack" too (prune
  // rewrites index files from it).
  size_t seen = 0;
  index.ForEachPack([&](const Id& pack, const std::vector<PackedBlob>& blobs) {
    seen += blobs.size();
    if (pack == Id::Hash("late-pack")) {
      EXPECT_EQ(blobs.size(), 1u);
      EXPECT_EQ(blobs[0].id, blob_id(1));
    }
    for (size_t k = 1; k < blobs.size(); ++k) EXPECT_LT(blobs[k - 1].offset, blobs[k].offset) << pack.Short();
  });
  EXPECT_EQ(seen, size_t{kPacks * kPerPack} + 1);
  // The same pack listed again (two index files naming it) adds no copies.
  std::vector<PackedBlob> again = {PackedBlob{BlobType::kData, blob_id(1), 0, 100, 0}};
  index.AddPack(Id::Hash("late-pack"), again);
  seen = 0;
  index.ForEachPack([&](const Id&, const std::vector<PackedBlob>& blobs) { seen += blobs.size(); });
  EXPECT_EQ(seen, size_t{kPacks * kPerPack} + 1);
}

TEST(Tree, RoundTripWithAwkwardNames) {
  Tree t;
  Node f;
  f.name = std::string("caf\xe9-latin1", 11);  // not UTF-8
  f.type = "file";
  f.mode = 0644 | gomode::kSetuid;
  f.mtime = Timestamp{1700000000, 5};
  f.uid = 1234;
  f.size = 3;
  f.content = {Id::Hash("abc")};
  f.xattrs = {{"user.k", std::string("v\0x", 3)}};
  Node l;
  l.name = "link\nwith newline \"quoted\"";
  l.type = "symlink";
  l.link_target = std::string("\xff\xfe", 2);
  Node d;
  d.name = "dir";
  d.type = "dir";
  d.mode = 0755 | gomode::kDir;
  d.subtree = Id::Hash("sub");
  t.nodes = {f, l, d};
  std::string json = EncodeTree(t);
  EXPECT_EQ(json.back(), '\n');
  auto back = DecodeTree(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->nodes.size(), 3u);
  EXPECT_EQ(back->nodes[0].name, f.name);
  EXPECT_EQ(back->nodes[0].mode, f.mode);
  EXPECT_EQ(back->nodes[0].mtime, f.mtime);
  EXPECT_EQ(back->nodes[0].content, f.content);
  EXPECT_EQ(back->nodes[0].xattrs, f.xattrs);
  EXPECT_EQ(back->nodes[1].name, l.name);
  EXPECT_EQ(back->nodes[1].link_target, l.link_target);
  EXPECT_EQ(back->nodes[2].subtree, d.subtree);
  EXPECT_EQ(UnixPermFromGoMode(f.mode), static_cast<mode_t>(04644));
  EXPECT_EQ(GoModeFromStat(S_IFDIR | 01777), gomode::kDir | gomode::kSticky | 0777);
}

TEST(Snapshot, JsonRoundTrip) {
  Snapshot s;
  s.time = Timestamp{1700000000, 42};
  s.tree = Id::Hash("tree");
  s.parent = Id::Hash("parent");
  s.paths = {"/etc", "/srv"};
  s.hostname = "db1";
  s.tags = {"daily", "operational"};
  auto back = Snapshot::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->time, s.time);
  EXPECT_EQ(back->tree, s.tree);
  EXPECT_EQ(back->parent, s.parent);
  EXPECT_EQ(back->paths, s.paths);
  EXPECT_EQ(back->tags, s.tags);
  EXPECT_FALSE(Snapshot::FromJson("{\"time\":\"x\"}").ok());
}

TEST(Config, JsonRoundTripAndValidation) {
  RepoConfig c = RepoConfig::New();
  auto back = RepoConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->polynomial, c.polynomial);
  EXPECT_EQ(back->id, c.id);
  EXPECT_FALSE(RepoConfig::FromJson("{\"version\":3,\"chunker_polynomial\":\"1\"}").ok());
  EXPECT_FALSE(RepoConfig::FromJson("{\"version\":2,\"chunker_polynomial\":\"xyz\"}").ok());
}

TEST(KeyFile, OpensWithRightPasswordOnly) {
  MasterKey master = MasterKey::Random();
  auto kf = KeyFile::Create(Secret("correct horse"), master, KdfParams{1024, 8, 1});
  ASSERT_TRUE(kf.ok());
  auto parsed = KeyFile::FromJson(kf->ToJson());
  ASSERT_TRUE(parsed.ok());
  auto opened = parsed->Open(Secret("correct horse"));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->encrypt, master.encrypt);
  EXPECT_EQ(opened->mac_r, master.mac_r);
  EXPECT_EQ(parsed->Open(Secret("wrong")).status().code(), Code::kWrongPassword);
  EXPECT_FALSE(KeyFile::FromJson("{\"kdf\":\"scrypt\",\"N\":3}").ok());
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

// Found by the lock fuzzer: a field of the wrong type made the JSON library
// throw, which ended the process. Every parser now reports kCorrupt.
TEST(Format, WrongJsonTypesAreCorruptNotCrashes) {
  auto lock = LockInfo::FromJson(R"({"time":"2026-11-24T10:00:00Z","exclusive":false,"hostname":0})");
  EXPECT_EQ(lock.status().code(), Code::kCorrupt);
  EXPECT_EQ(LockInfo::FromJson(R"({"time":"2026-11-24T10:00:00Z","exclusive":"yes"})").status().code(), Code::kCorrupt);
  EXPECT_EQ(KeyFile::FromJson(R"({"kdf":"scrypt","N":1024,"r":8,"p":1,"salt":"","data":"","hostname":[]})")
                .status().code(),
            Code::kCorrupt);
  EXPECT_EQ(RepoConfig::FromJson(R"({"version":"2","id":"x","chunker_polynomial":"3DA3358B4DC173"})").status().code(),
            Code::kCorrupt);
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

TEST(Tree, FingerprintRoundTripsAndIsChecked) {
  Tree t;
  Node f;
  f.name = "a.bin";
  f.type = "file";
  f.size = 3;
  f.content = {Id::Hash("abc")};
  f.fingerprint = "0123456789abcdef0123456789abcdef";
  Node g = f;
  g.name = "b.bin";
  g.fingerprint.clear();  // restic's, or an older lifeboat's
  t.nodes = {f, g};
  std::string json = EncodeTree(t);
  EXPECT_NE(json.find("\"lifeboat_xxh128\":\"0123456789abcdef0123456789abcdef\""), std::string::npos) << json;
  EXPECT_EQ(json.find("lifeboat_xxh128", json.find("b.bin")), std::string::npos)
      << "written for a file without one";
  auto back = DecodeTree(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->nodes[0].fingerprint, f.fingerprint);
  EXPECT_EQ(back->nodes[1].fingerprint, "");
  std::string bad = json;
  bad.replace(bad.find("0123456789abcdef0123456789abcdef"), 4, "zz01");
  auto refused = DecodeTree(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kCorrupt);
  EXPECT_NE(refused.status().message().find("lifeboat_xxh128"), std::string::npos);
}

}  // namespace
}  // namespace lifeboat
