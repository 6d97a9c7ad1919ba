// Finding PostgreSQL's client programs (pg_dump, pg_restore, pg_dumpall,
// psql, initdb, pg_ctl, pg_basebackup) for a server's major version, and
// the environment they run in.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "source/postgres/target.h"

namespace lifeboat::pg {

// The path of `program` able to talk to a server of `server_major`: from
// LIFEBOAT_PG_BINDIR if set, else the newest installed version that is not
// older than the server (Debian: /usr/lib/postgresql/N/bin). kNotFound
// names the package to install.
Result<std::string> FindTool(const std::string& program, int server_major);

// The environment additions for a child program: the password (PGPASSWORD)
// if we hold it. Children never see LIFEBOAT_* variables (repository
// passwords).
std::map<std::string, std::string> ToolEnv(const PgTarget& target);

}  // namespace lifeboat::pg
