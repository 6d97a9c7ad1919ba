// Restoring a Redis snapshot: into a live server by RESTORE commands built
// from the RDB's own value bytes (pipelined; works where files cannot be
// placed, keeps TTLs as absolute times), into a stopped server's data
// directory as dump.rdb, or as the RDB itself to a descriptor (dump).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "base/status.h"
#include "repo/snapshot.h"
#include "source/source.h"
#include "source/redis/client.h"
#include "source/redis/rdb.h"

namespace lifeboat::redis {

bool IsRedisSnapshot(const Snapshot& s);

// Parses the RDB file at `path` of a snapshot as the engine reads it.
Result<RdbSummary> ParseStoredRdb(SnapshotReader& reader, const std::string& path, const RdbOptions& o,
                                  const std::function<Status(RdbEntry&)>& on_entry);
// Every record of a Redis snapshot: its RDB, or for a delta the full's
// records it keeps and then its own. A delta whose records do not add up
// to the fingerprint of the backup is kCorrupt. The summary's version is
// the highest of the files read.
Result<RdbSummary> ReadSnapshotRecords(SnapshotReader& reader, const RdbOptions& o,
                                       const std::function<Status(RdbEntry&)>& on_entry);

struct RestoreOptions {
  bool flush = false;    // FLUSHALL the target first
  bool replace = false;  // overwrite keys the target has (RESTORE ... REPLACE)
};

struct RestoreSummary {
  std::map<int, uint64_t> keys;  // restored, per database
  uint64_t expired = 0;          // keys whose TTL had passed: not restored
  uint64_t bytes = 0;            // RDB bytes read
  double seconds = 0;
  uint64_t total() const;
};

// Refuses a target that holds keys unless flush or replace.
Result<RestoreSummary> RestoreToServer(SnapshotReader& reader, const Endpoint& target,
                                       const RestoreOptions& options);
// Writes DIR/dump.rdb (through a temporary file); refuses an existing one
// unless replace.
Status RestoreToDataDir(SnapshotReader& reader, const std::string& dir, bool replace);
// The snapshot's RDB to `fd`: a full's byte for byte, a delta's written
// from the full's records and its own.
Status WriteRdb(SnapshotReader& reader, int fd, const std::string& what);

}  // namespace lifeboat::redis
