// Key-level deltas of Redis snapshots. A repository's content-defined
// chunks hold thousands of keys each, so a day that rewrites 5% of the keys
// touches every chunk of an RDB and almost nothing deduplicates. Between
// full snapshots (weekly by default), a delta snapshot stores only what
// changed since the full, the way a differential PostgreSQL base backup
// stores page deltas:
//
//   /redis/delta.rdb       an RDB of the records changed or added since the
//                          full (with the server's function libraries)
//   /redis/dropped.keys    the full's records that are gone or replaced:
//                          KeyIds, 16 bytes each, sorted
//   /redis-base/dump.rdb   the full's RDB, stored as the full stored it (no
//                          data, only the reference that keeps its blobs
//                          alive while this snapshot lives)
//   /redis/manifest.json   type "delta", the full's id, the counts, and the
//                          fingerprint of the whole data set
//
// A record is the same when its database, name, bytes and expiry are. Restore reads the base minus the
// dropped keys, then the delta: the data set as the server had it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/redis/digest.h"
#include "source/redis/rdb.h"

namespace lifeboat::redis {

constexpr const char* kDeltaRdbPath = "/redis/delta.rdb";
constexpr const char* kDroppedPath = "/redis/dropped.keys";
constexpr const char* kBaseRdbPath = "/redis-base/dump.rdb";

// A record's identity: database and name.
using KeyId = Digest128;
KeyId KeyIdOf(int db, std::string_view name);
// What decides whether a record changed: its type and bytes in the RDB
// (RdbEntry::payload_hash and payload_size, with capture_raw or hash_raw)
// and its expiry. Equal bytes are the same value; a value re-encoded but
// equal (a hash table iterated in another order after a rehash) counts as
// changed and is stored again, which costs bytes, never data. Bytes rather
// than the canonical digest because the full's records are then read
// without taking every container apart.
uint64_t RecordCheck(const RdbEntry& e);

// The full's records: KeyId → RecordCheck, and which of them the new RDB
// still has. 24 bytes a key, and a directory of the top 16 bits so that a
// lookup touches one or two cache lines (KeyIds are uniformly random).
class KeyTable {
 public:
  static constexpr size_t kNone = ~size_t{0};
  void Reserve(size_t n) { rows_.reserve(n); }
  void Add(const KeyId& id, uint64_t check) { rows_.push_back({id.hi, id.lo, check}); }
  // Before Seal: the rows in the order added, as a file a full keeps in
  // the local cache (its SHA-256 in the full's manifest): a header line,
  // the count and 24 bytes a row (hi, lo, check; little-endian).
  std::string Encode() const;
  // Adds the rows of an Encode()d table; kCorrupt if it is not one.
  Status Decode(std::string_view data);
  // After the last Add; kCorrupt if a KeyId repeats (a damaged base).
  Status Seal();
  size_t Find(const KeyId& id) const;
  uint64_t check(size_t i) const { return rows_[i].check; }
  void MarkSeen(size_t i) { seen_[i] = true; }
  size_t size() const { return rows_.size(); }
  // The records never marked seen: gone from the new RDB.
  std::vector<KeyId> Unseen() const;

 private:
  struct Row {
    uint64_t hi, lo, check;
  };
  std::vector<Row> rows_;
  std::vector<uint32_t> dir_;  // 65537 starts, by the top 16 bits of hi
  std::vector<bool> seen_;
};

// dropped.keys: sorted, each KeyId as hi then lo, big-endian.
std::string EncodeKeyIds(std::vector<KeyId> ids);
// kCorrupt for a length that is not a multiple of 16 or ids out of order.
Result<std::vector<KeyId>> DecodeKeyIds(std::string_view data);
bool ContainsKeyId(const std::vector<KeyId>& sorted, const KeyId& id);

// Writes an RDB that redis-server loads: "REDIS" + version, records as
// RdbEntry::raw with SELECTDB and expiry opcodes, function libraries, EOF
// and the CRC-64. Output goes to `sink` in pieces of about 1 MiB.
class RdbWriter {
 public:
  explicit RdbWriter(std::function<Status(std::string_view)> sink) : sink_(std::move(sink)) {}
  // The file's version: at least that of every record written.
  Status Begin(int version);
  bool begun() const { return begun_; }
  Status Entry(const RdbEntry& e);  // e.raw must be captured
  Status Function(std::string_view code);
  Status Finish();
  uint64_t bytes() const { return bytes_; }

 private:
  Status Put(std::string_view data);
  Status Drain();
  std::function<Status(std::string_view)> sink_;
  std::string buf_;
  uint64_t crc_ = 0, bytes_ = 0;
  int db_ = -1;
  bool begun_ = false;
};

// The RDB length encoding (1, 2, 5 or 9 bytes).
void AppendRdbLength(std::string* out, uint64_t n);

}  // namespace lifeboat::redis
