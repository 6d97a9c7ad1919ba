// libFuzzer targets for every parser of bytes that come from a repository.
// One binary per parser: FUZZ_TARGET selects it at compile time (CMake builds
// fuzz_index, fuzz_tree, ...). Bytes come straight from the fuzzer: in a real
// repository they pass a MAC first, but a parser must not crash, hang or
// read out of bounds on anything.
//
//   make fuzz                       # every target for FUZZ_SECONDS (default 300) each
//   build-fuzz/fuzz_index corpus/   # one target by hand
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "repo/config.h"
#include "repo/index.h"
#include "repo/keyfile.h"
#include "repo/lock.h"
#include "repo/pack.h"
#include "repo/repository.h"
#include "repo/snapshot.h"
#include "repo/tree.h"
#include "source/postgres/wal_commit.h"
#include "source/redis/rdb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace lifeboat;
#if defined(FUZZ_INDEX)
  std::vector<Id> supersedes;
  auto r = ParseIndexJson(in, &supersedes);
  if (r.ok()) {  // what parses must encode and parse back to the same packs
    auto again = ParseIndexJson(EncodeIndexJson(*r, supersedes), nullptr);
    if (!again.ok() || again->size() != r->size()) __builtin_trap();
  }
#elif defined(FUZZ_TREE)
  auto r = DecodeTree(in);
  if (r.ok()) {
    std::string encoded = EncodeTree(*r);
    auto again = DecodeTree(encoded);
    if (!again.ok() || again->nodes.size() != r->nodes.size()) {
      std::fprintf(stderr, "tree does not round-trip: %s\n%s\n",
                   again.ok() ? "node count differs" : again.status().message().c_str(), encoded.c_str());
      __builtin_trap();
    }
  }
#elif defined(FUZZ_SNAPSHOT)
  auto r = Snapshot::FromJson(in);
  if (r.ok() && !Snapshot::FromJson(r->ToJson()).ok()) __builtin_trap();
#elif defined(FUZZ_KEYFILE)
  auto r = KeyFile::FromJson(in);
  // What passes the bounds must be cheap enough to run (seed: scrypt-128gib).
  if (r.ok() && r->params.CheckLimits().ok() && 128 * uint64_t(r->params.r) * r->params.n > (1ull << 30)) {
    __builtin_trap();
  }
#elif defined(FUZZ_CONFIG)
  auto r = RepoConfig::FromJson(in);
  if (r.ok() && !RepoConfig::FromJson(r->ToJson()).ok()) __builtin_trap();
#elif defined(FUZZ_LOCK)
  (void)LockInfo::FromJson(in);
#elif defined(FUZZ_UNPACKED)
  // An unpacked file after its MAC: byte 0 picks index or snapshot, the rest
  // is the plaintext (zstd bombs among the seeds: tests/fuzz/seeds/unpacked).
  if (size == 0) return 0;
  FileType type = data[0] & 1 ? FileType::kSnapshot : FileType::kIndex;
  auto plain = DecodeUnpacked(type, std::string(in.substr(1)));
  if (plain.ok()) {
    if (plain->size() > MaxUnpackedSize(type)) __builtin_trap();
    if (type == FileType::kIndex) (void)ParseIndexJson(*plain, nullptr);
    else (void)Snapshot::FromJson(*plain);
  }
#elif defined(FUZZ_RDB)
  // An RDB stream from a Redis server (or a snapshot): seeds in
  // tests/fuzz/seeds/rdb, among them what redis-server 7.0 saves.
  redis::StringInput rin(in);
  redis::RdbOptions ro;
  ro.capture_raw = true;
  ro.max_string = 1 << 20;
  (void)redis::ParseRdb(rin, ro, [](redis::RdbEntry& e) {
    if (e.raw.empty() || static_cast<unsigned char>(e.raw[0]) != e.rdb_type) __builtin_trap();
    return Status::Ok();
  });
#elif defined(FUZZ_WAL)
  // A WAL segment (its size is what its first page header says); seed: the
  // first pages of what PostgreSQL 15's initdb writes, the size patched.
  auto scan = pg::ScanSegment(in);
  if (scan.ok() && scan->commits > scan->records) __builtin_trap();
#elif defined(FUZZ_PACK_HEADER)
  // A decrypted pack header; the data before it may be any length.
  uint64_t data_end = size > 0 ? data[0] * 977u : 0;
  (void)ParsePackHeader(size > 0 ? in.substr(1) : in, data_end);
#else
#error "define one FUZZ_* target"
#endif
  return 0;
}
