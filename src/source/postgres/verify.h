// Restore tests of logical PostgreSQL snapshots: every database of the
// snapshot restored into a scratch server, its fingerprint taken again and
// compared, table by table, with the one taken at backup time.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "repo/snapshot.h"
#include "source/source.h"
#include "source/postgres/fingerprint.h"

namespace lifeboat::pg {

struct DatabaseVerdict {
  std::string database;
  bool restored = false;
  bool has_fingerprint = false;
  std::string error;  // why the restore failed
  std::vector<TableComparison> tables;
  double restore_seconds = 0;
  bool ok() const;
};

struct VerifyReport {
  std::string snapshot;  // short id
  std::string source;
  int server_major = 0;
  std::vector<DatabaseVerdict> databases;
  double seconds = 0;
  bool ok() const;
};

// REQUIRES: a logical PostgreSQL snapshot. Fails only if no scratch server
// could be started; a database that does not restore is reported in it.
Result<VerifyReport> VerifyLogical(SnapshotReader& reader, int jobs);

// Compares a database of the snapshot (`database`, "" = the only one) with
// a live database `against` (a restore made by hand, or a DR copy): its
// fingerprint taken now against the one taken at backup time.
Result<VerifyReport> VerifyAgainst(SnapshotReader& reader, const std::string& database,
                                   const PgTarget& against, int connections);

}  // namespace lifeboat::pg
