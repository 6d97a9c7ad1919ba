// Redis backups. The RDB comes over the replication protocol, as
// `redis-cli --rdb` gets it (REPLCONF rdb-only, SYNC, or PSYNC ? -1;
// diskless "$EOF:" transfers too), and goes straight into the repository:
// no file on the Redis host, none here. Where the server refuses
// replication (SYNC and PSYNC renamed away, as managed services do), BGSAVE
// and the dump file in --redis-data-dir. The RDB is parsed as it streams:
// the fingerprint (per database: keys, keys with a TTL, a canonical digest)
// goes into the manifest, stored last.
//
// A full snapshot (tag "redis") holds:
//   /redis/dump.rdb        the RDB as the server sent it
//   /redis/manifest.json   RedisManifest
// A delta snapshot holds the records changed since the newest full of the
// same server instead (delta.h); backups are deltas unless there is no
// full, it is --full-after days old, or --type full says so.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "source/redis/client.h"
#include "source/redis/delta.h"
#include "source/redis/digest.h"
#include "source/source.h"

namespace lifeboat::redis {

constexpr const char* kRedisTag = "redis";
constexpr const char* kRdbPath = "/redis/dump.rdb";
constexpr const char* kManifestPath = "/redis/manifest.json";
constexpr const char* kKeyTableFolder = "redis-keys";  // in the local cache

struct RedisManifest {
  std::string kind = "redis";
  std::string source;         // redis://host:port, no password
  std::string redis_version;  // INFO server
  int rdb_version = 0;
  std::string method;  // "replication" or "bgsave"
  uint64_t rdb_bytes = 0;
  uint64_t functions = 0;
  Fingerprint fingerprint;  // of the whole data set, delta or not
  std::string type = "full";  // or "delta"
  // delta: the full it builds on, its key count, and what changed since.
  std::string base_snapshot;
  uint64_t base_keys = 0, changed = 0, added = 0, deleted = 0;
  uint64_t delta_bytes = 0;  // of delta.rdb
  // full: the SHA-256 (hex) of its key table (delta.h), kept in the local
  // cache as redis-keys/<source>-<sha256>; delta: where the full's table
  // came from ("cache" or "repository", reading the full's RDB back).
  std::string key_table;
  std::string base_read;

  std::string ToJson() const;
  static Result<RedisManifest> FromJson(std::string_view json);
};

struct RedisBackupOptions {
  std::string data_dir;  // for the BGSAVE fallback: the server's dir, readable here
  double timeout = 60;   // seconds without a byte from the server before giving up
  // full, delta (against the newest full of this server), or auto: delta
  // unless there is no full or it is full_after_days old.
  std::string type = "auto";
  long full_after_days = 7;
};

// The Redis Source: the RDB as a stream, the manifest at Stop.
class RedisBackup final : public Source {
 public:
  RedisBackup(Endpoint ep, RedisBackupOptions options);
  ~RedisBackup() override;
  std::string Display() const override { return manifest_.source; }
  std::vector<std::string> Tags() const override { return {kRedisTag}; }
  // Connects and reads INFO. kAccessDenied for a wrong password,
  // kUnavailable for a server that cannot be reached.
  // Plans full or delta against the snapshots in `catalog`.
  Status Prepare(SnapshotCatalog& catalog) override;
  std::vector<std::string> Warnings() const override { return warnings_; }
  // zstd level 1: RDB chunks (binary, strings LZF-packed by the server)
  // shrink about as much at level 1 as at 3, at 2.7 times the speed
  // (docs/redis.md), and every CPU-second spent here slows the server's
  // fork, which writes the RDB while the backup runs.
  int CompressionLevel() const override { return 1; }
  std::vector<Item> Items() override;
  Result<std::vector<Item>> Stop() override;
  void Abort() override;
  Report Summary() const override;
  const RedisManifest& manifest() const { return manifest_; }

 private:
  Result<int> OpenRdb();
  Status FinishRdb();
  // Producer thread: fetches the RDB, parses it, writes it to `out`.
  Status Transfer(int out);
  Status TransferByReplication(int out, bool* refused);
  Status TransferByBgsave(int out);
  // The newest full of this server, when this backup is to be a delta.
  Status PlanDelta(SnapshotCatalog& catalog);
  // Delta: reads the full's records into table_, on loader_ (started by
  // Transfer, so the full is read back while the server makes its RDB);
  // WaitBase joins it.
  // From the local cache when the full kept its table there; else by
  // reading the full's RDB back (and keeping its table for the next).
  Status LoadBase();
  std::string TableName(const std::string& digest) const;
  Status WaitBase();
  // Every record of the server's RDB, as it is parsed; and its end.
  Status OnRecord(RdbEntry& e);
  Status FinishRecords(const RdbSummary& sum);
  bool delta() const { return manifest_.type == "delta"; }

  Endpoint ep_;
  RedisBackupOptions options_;
  RedisManifest manifest_;
  std::thread producer_;
  Status producer_status_;
  std::string s_refusal_;  // the server's answer to SYNC / PSYNC when it refused both
  std::vector<std::string> warnings_;
  // Delta: the full, its RDB, its records; the delta's RDB and the full's
  // records it drops. Full: its records, for the key table.
  std::unique_ptr<SnapshotReader> base_;
  std::string base_table_;  // the full's key_table
  LocalCache* cache_ = nullptr;
  Node base_rdb_;
  KeyTable table_;
  std::thread loader_;
  Status loaded_;
  std::unique_ptr<RdbWriter> writer_;
  std::vector<KeyId> dropped_;
};

}  // namespace lifeboat::redis
