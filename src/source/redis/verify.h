// verify of a Redis snapshot: the stored RDB through redis-check-rdb, loaded
// into a scratch redis-server on loopback (a temp directory, a free port,
// stopped after), every key read back through the server's own commands,
// and per database the key count, the TTL count and the canonical digest
// (digest.h) compared with the fingerprint taken at backup time. A mismatch
// names the database and a key. Module values cannot be read back by
// commands: their keys are counted, not compared.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"
#include "repo/snapshot.h"
#include "source/source.h"
#include "source/redis/client.h"
#include "source/redis/digest.h"

namespace lifeboat::redis {

struct DbVerdict {
  int db = 0;
  bool ok = false;
  DbFingerprint want, got;
  std::string detail;  // on a mismatch: what differs, a key named
};

struct VerifyReport {
  std::string snapshot, source;
  std::string check_rdb;  // redis-check-rdb's complaint, "" when it passed
  std::vector<DbVerdict> dbs;
  double seconds = 0;
  bool ok() const;
};

// Fails only when no scratch server could be started.
Result<VerifyReport> VerifySnapshot(SnapshotReader& reader);

// The fingerprint of a live server's data, read through its commands.
// `per_key` (optional) receives each key's record digest by database.
Result<Fingerprint> FingerprintLive(Connection& c, const std::vector<int>& dbs,
                                    std::map<int, std::map<std::string, Digest128>>* per_key);

}  // namespace lifeboat::redis
