// Logical PostgreSQL backups: pg_dump's custom format, uncompressed so that
// the repository's chunker deduplicates one day's dump against the last,
// streamed straight into a snapshot; the cluster's globals from pg_dumpall;
// and per database a fingerprint taken in the dump's own transaction
// snapshot. The snapshot's tree:
//
//   /postgres/manifest.json           what is here (LogicalManifest)
//   /postgres/globals.sql             roles, tablespaces (pg_dumpall -g)
//   /postgres/<db>.dump               pg_dump -Fc -Z0
//   /postgres/<db>.fingerprint.json   rows and checksums per table
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "source/source.h"
#include "env/process.h"
#include "source/postgres/target.h"

namespace lifeboat::pg {

constexpr const char* kManifestPath = "/postgres/manifest.json";

struct DatabaseEntry {
  std::string name;
  std::string encoding, collate, ctype;
  std::string dump;         // path in the snapshot
  std::string fingerprint;  // path in the snapshot; "" if none was taken
};

struct LogicalManifest {
  std::string kind = "postgres-logical";
  std::string source;  // postgres://user@host:port/db, no password
  int server_version = 0;
  std::string pg_dump_version;
  std::string globals;  // path in the snapshot; "" if not dumped
  std::vector<DatabaseEntry> databases;

  std::string ToJson() const;
  static Result<LogicalManifest> FromJson(std::string_view json);
  // The database called `name`; or, with an empty name, the only one.
  Result<const DatabaseEntry*> Find(const std::string& name) const;
};

struct LogicalOptions {
  std::vector<std::string> databases;  // with a URL naming no database: these only (empty: all)
  bool fingerprint = true;
  int fingerprint_connections = 1;  // beside pg_dump's own
  bool globals = true;
};

// The logical PostgreSQL Source: a pg_dump stream per database.
class LogicalBackup final : public Source {
 public:
  LogicalBackup(PgTarget target, LogicalOptions options);
  ~LogicalBackup() override;
  std::string Display() const override { return target_.Display(); }
  // Connects, lists the databases to dump (the named one, or every one that
  // accepts connections) and finds a pg_dump for the server's version.
  Status Prepare(SnapshotCatalog& catalog) override;
  // The streams, in order; valid while this object lives.
  std::vector<Item> Items() override;
  Result<std::vector<Item>> Stop() override;
  Report Summary() const override;
  const LogicalManifest& manifest() const { return manifest_; }

 private:
  struct Database;
  Result<int> OpenDump(Database& db);
  Status FinishDump(Database& db);
  Result<int> OpenGlobals();

  PgTarget target_;
  LogicalOptions options_;
  LogicalManifest manifest_;
  std::string pg_dump_, pg_dumpall_;
  std::vector<std::unique_ptr<Database>> dbs_;
  std::unique_ptr<Subprocess> globals_proc_;
};

// A name safe as one path component: '/' and '%' percent-encoded, and a
// leading '.' too.
std::string FileNameFor(const std::string& database);

}  // namespace lifeboat::pg
