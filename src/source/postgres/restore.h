// Logical restores: a database from a logical snapshot into a server, with
// pg_restore in parallel jobs; and the dump as a plain SQL script.
#pragma once

#include <string>

#include "base/status.h"
#include "repo/snapshot.h"
#include "source/source.h"
#include "source/postgres/conn.h"
#include "source/postgres/logical.h"
#include "source/postgres/target.h"

namespace lifeboat::pg {

// True if the snapshot is a logical PostgreSQL backup (by its paths).
bool IsLogicalSnapshot(const Snapshot& snapshot);
Result<LogicalManifest> LoadManifest(SnapshotReader& reader);

struct LogicalRestoreOptions {
  std::string database;      // from the snapshot; "" = the only one
  bool create = false;       // create the target database if it does not exist
  bool clean = false;        // replace what a non-empty target holds (pg_restore --clean)
  bool no_owner = false;     // pg_restore --no-owner
  bool no_tablespaces = false;
  int jobs = 0;              // pg_restore -j; 0: one per core
  std::string temp_dir;      // where the dump is staged; "" = /dev/shm if it has room, else TMPDIR
};

struct LogicalRestoreSummary {
  std::string from, to;  // database names
  bool created = false;
  uint64_t bytes = 0;    // size of the dump
  double seconds = 0;
};

// Restores one database. Refuses a target database that holds tables
// (kAlreadyExists) unless options.clean, and a missing one (kNotFound)
// unless options.create.
Result<LogicalRestoreSummary> RestoreLogical(SnapshotReader& reader, const PgTarget& to,
                                             const LogicalRestoreOptions& options);

// Writes a database's dump to `fd`: as stored (custom format) or, with
// sql = true, as the plain SQL script pg_restore makes of it.
Status WriteDump(SnapshotReader& reader, const std::string& database, bool sql, int fd);

// Creates database `name` on the server `conn` is connected to, with the
// encoding and locale of `entry` (falling back to the server's locale).
Status CreateDatabase(PgConn& conn, const std::string& name, const DatabaseEntry& entry);

}  // namespace lifeboat::pg
