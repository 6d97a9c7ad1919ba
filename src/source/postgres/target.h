// PgTarget: a PostgreSQL server (and maybe one database) named by a URL
// (postgres://USER@HOST:PORT/DB, postgresql://..., ?host=/socket/dir) or a
// libpq keyword string ("host=... dbname=..."). The password never becomes
// part of a connection string we pass on: it travels in PGPASSWORD to child
// programs and as a separate parameter to our own connections.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/secret.h"
#include "base/status.h"

namespace lifeboat::pg {

bool IsPgUrl(std::string_view s);

struct PgTarget {
  // libpq keywords and values given, without password and dbname.
  std::vector<std::pair<std::string, std::string>> params;
  std::string dbname;  // empty: no database named (every database)
  Secret password;     // from the URL or LIFEBOAT_PG_PASSWORD_FILE; empty: libpq finds it

  // postgres://user@host:port/db, for snapshots and messages. No password.
  std::string Display(const std::string& db) const;
  std::string Display() const { return Display(dbname); }
  // A libpq keyword string for `db` without the password (safe for argv).
  std::string ConnInfo(const std::string& db) const;
  // Keywords and values for PQconnectdbParams, password included.
  std::vector<std::pair<std::string, std::string>> ConnectParams(const std::string& db) const;
  // Environment for pg_dump & co: PGPASSWORD if we hold the password.
  std::map<std::string, std::string> ChildEnv() const;
  std::string Get(const std::string& key) const;  // "" if not given
};

// Parses a URL or keyword string. The password file named by
// LIFEBOAT_PG_PASSWORD_FILE (the whole file, one trailing newline dropped)
// is read if the URL carries none.
Result<PgTarget> ParsePgTarget(const std::string& text);

}  // namespace lifeboat::pg
