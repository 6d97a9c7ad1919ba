// hostile_repo REPO KIND: plants one hostile file in the local repository
// REPO (opened with LIFEBOAT_PASSWORD), as someone holding the key could, and
// prints the planted file's name. Each KIND would make a reader without
// bounds allocate gigabytes; lifeboat must refuse it as damaged instead:
//   snapshot-expands  a snapshot whose zstd frame, 256 KiB, expands to 8 GiB
//   snapshot-declares a snapshot whose frame header declares 8 GiB
//   index-expands     an index file whose frame expands to 16 GiB
//   key-scrypt        a key file asking scrypt for N=2^24, r=64 (128 GiB)
//   tree-declares     a snapshot whose tree blob the index and pack header
//                     declare as 4 GiB - 1 bytes
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/secret.h"
#include "repo/repository.h"
#include "storage/local/local_storage.h"

namespace lifeboat {
namespace {

void Put24(std::string* out, uint32_t v) {
  *out += static_cast<char>(v & 0xff);
  *out += static_cast<char>((v >> 8) & 0xff);
  *out += static_cast<char>((v >> 16) & 0xff);
}

// A zstd frame of RLE blocks with no declared size: `bytes` copies of `c`.
std::string ExpandingFrame(uint64_t bytes, char c) {
  std::string f("\x28\xb5\x2f\xfd", 4);
  f += '\x00';  // descriptor: no content size, not single-segment, no checksum
  f += '\x38';  // window 128 KiB
  const uint32_t block = 128 << 10;
  for (uint64_t done = 0; done < bytes; done += block) {
    bool last = done + block >= bytes;
    Put24(&f, (block << 3) | (1 << 1) | (last ? 1 : 0));  // RLE block
    f += c;
  }
  return f;
}

// A single-segment frame that declares `declared` bytes and holds one.
std::string DeclaringFrame(uint64_t declared) {
  std::string f("\x28\xb5\x2f\xfd", 4);
  f += '\xe0';  // 8-byte content size, single segment
  for (int i = 0; i < 8; ++i) f += static_cast<char>((declared >> (8 * i)) & 0xff);
  Put24(&f, (1 << 3) | (1 << 1) | 1);
  f += '{';
  return f;
}

std::string SaveSealed(Repository& repo, FileType type, std::string_view plain) {
  std::string sealed = repo.key().Seal(plain);
  std::string name = Id::Hash(sealed).Hex();
  Status s = repo.storage().Save(type, name, sealed);
  if (!s.ok()) {
    std::fprintf(stderr, "hostile_repo: %s\n", s.message().c_str());
    std::exit(1);
  }
  return name;
}

int Plant(const std::string& root, const std::string& kind) {
  const char* pw = std::getenv("LIFEBOAT_PASSWORD");
  auto repo = Repository::Open(std::make_unique<LocalStorage>(root), Secret(pw ? pw : ""));
  if (!repo.ok()) {
    std::fprintf(stderr, "hostile_repo: %s\n", repo.status().message().c_str());
    return 1;
  }
  Repository& r = **repo;
  std::string name;
  if (kind == "snapshot-expands") {
    name = SaveSealed(r, FileType::kSnapshot, "\x02" + ExpandingFrame(uint64_t(8) << 30, ' '));
  } else if (kind == "snapshot-declares") {
    name = SaveSealed(r, FileType::kSnapshot, "\x02" + DeclaringFrame(uint64_t(8) << 30));
  } else if (kind == "index-expands") {
    name = SaveSealed(r, FileType::kIndex, "\x02" + ExpandingFrame(uint64_t(16) << 30, ' '));
  } else if (kind == "key-scrypt") {
    std::string json = R"({"created":"2026-12-02T10:00:00Z","username":"x","hostname":"x","kdf":"scrypt",)"
                       R"("N":16777216,"r":64,"p":1,"salt":"c2FsdA==","data":"ZGF0YQ=="})";
    name = Id::Hash(json).Hex();
    if (!r.storage().Save(FileType::kKey, name, json).ok()) return 1;
  } else if (kind == "tree-declares") {
    // One pack holding one "compressed tree" whose lengths say 4 GiB - 1.
    std::string blob = r.key().Seal(DeclaringFrame(0xffffffffull));
    Id tree_id = Id::Hash("hostile tree");
    std::string header;
    header += '\x03';  // compressed tree
    PutFixed32(&header, static_cast<uint32_t>(blob.size()));
    PutFixed32(&header, 0xffffffffu);
    header.append(tree_id.Raw());
    std::string sealed_header = r.key().Seal(header);
    std::string pack = blob + sealed_header;
    PutFixed32(&pack, static_cast<uint32_t>(sealed_header.size()));
    std::string pack_name = Id::Hash(pack).Hex();
    if (!r.storage().Save(FileType::kPack, pack_name, pack).ok()) return 1;
    std::string index = R"({"packs":[{"id":")" + pack_name + R"(","blobs":[{"id":")" + tree_id.Hex() +
                        R"(","type":"tree","offset":0,"length":)" + std::to_string(blob.size()) +
                        R"(,"uncompressed_length":4294967295}]}]})";
    if (!r.SaveUnpacked(FileType::kIndex, index).ok()) return 1;
    lifeboat::Snapshot snap;
    snap.time = Now();
    snap.tree = tree_id;
    snap.paths = {"/hostile"};
    snap.hostname = "hostile";
    auto id = r.SaveUnpacked(FileType::kSnapshot, snap.ToJson());
    if (!id.ok()) return 1;
    name = id->Hex();
  } else {
    std::fprintf(stderr, "hostile_repo: unknown kind %s\n", kind.c_str());
    return 2;
  }
  std::printf("%s\n", name.c_str());
  return 0;
}

}  // namespace
}  // namespace lifeboat

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: hostile_repo REPO KIND\n");
    return 2;
  }
  return lifeboat::Plant(argv[1], argv[2]);
}
