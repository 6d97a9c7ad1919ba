// Finding PostgreSQL's client programs (pg_dump, pg_restore, pg_dumpall,
// psql, initdb, pg_ctl, pg_basebackup) for a server's major version, and
// the environment they run in.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "env/process.h"
#include "source/postgres/target.h"

namespace lifeboat::pg {

// The path of `program` able to talk to a server of `server_major`: from
// LIFEBOAT_PG_BINDIR if set, else the newest installed version that is not
// older than the server (Debian: /usr/lib/postgresql/N/bin). kNotFound
// names the package to install.
Result<std::string> FindTool(const std::string& program, int server_major);

// How to run one of them: with `target`'s password (if we hold it) in
// PGPASSWORD, never in argv, and without our LIFEBOAT_* variables
// (repository passwords). The caller sets the I/O.
SubprocessOptions ToolProcess(std::vector<std::string> argv, const PgTarget* target = nullptr);

}  // namespace lifeboat::pg
