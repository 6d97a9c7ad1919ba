#include "source/postgres/logical.h"

#include <unistd.h>

#include <future>
#include <nlohmann/json.hpp>

#include "source/postgres/conn.h"
#include "source/postgres/fingerprint.h"
#include "source/postgres/tools.h"

namespace lifeboat::pg {

struct LogicalBackup::Database {
  DatabaseEntry entry;
  std::unique_ptr<PgConn> conn;  // holds the exported snapshot open
  std::unique_ptr<Subprocess> dump;
  std::future<Result<DatabaseFingerprint>> fingerprint;
  std::string fingerprint_json;
};

std::string FileNameFor(const std::string& database) {
  std::string out;
  for (size_t i = 0; i < database.size(); ++i) {
    char c = database[i];
    if (c == '/' || c == '%' || (i == 0 && c == '.') || static_cast<unsigned char>(c) < 0x20) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string LogicalManifest::ToJson() const {
  nlohmann::json dbs = nlohmann::json::array();
  for (const auto& d : databases) {
    dbs.push_back({{"name", d.name},
                   {"encoding", d.encoding},
                   {"collate", d.collate},
                   {"ctype", d.ctype},
                   {"dump", d.dump},
                   {"fingerprint", d.fingerprint}});
  }
  nlohmann::json j{{"kind", kind},         {"source", source},   {"server_version", server_version},
                   {"pg_dump_version", pg_dump_version}, {"globals", globals}, {"databases", dbs}};
  return j.dump(1) + "\n";
}

Result<LogicalManifest> LogicalManifest::FromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  auto str = [](const nlohmann::json& o, const char* k) {
    return o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
  };
  if (j.is_discarded() || !j.is_object() || str(j, "kind") != "postgres-logical" || !j.contains("databases") ||
      !j["databases"].is_array()) {
    return Corrupt("postgres manifest: not a logical PostgreSQL backup manifest");
  }
  LogicalManifest m;
  m.source = str(j, "source");
  m.server_version = j.contains("server_version") && j["server_version"].is_number_integer()
                         ? j["server_version"].get<int>()
                         : 0;
  m.pg_dump_version = str(j, "pg_dump_version");
  m.globals = str(j, "globals");
  for (const auto& d : j["databases"]) {
    if (!d.is_object() || str(d, "name").empty() || str(d, "dump").empty()) {
      return Corrupt("postgres manifest: damaged database entry");
    }
    m.databases.push_back({str(d, "name"), str(d, "encoding"), str(d, "collate"), str(d, "ctype"),
                           str(d, "dump"), str(d, "fingerprint")});
  }
  return m;
}

Result<const DatabaseEntry*> LogicalManifest::Find(const std::string& name) const {
  if (name.empty()) {
    if (databases.size() == 1) return &databases[0];
    std::string names;
    for (const auto& d : databases) names += (names.empty() ? "" : ", ") + d.name;
    return InvalidArgument("the snapshot holds " + std::to_string(databases.size()) +
                           " databases (" + names + "): name one with --database");
  }
  for (const auto& d : databases) {
    if (d.name == name) return &d;
  }
  return NotFound("database " + name + " is not in the snapshot");
}

LogicalBackup::LogicalBackup(PgTarget target, LogicalOptions options)
    : target_(std::move(target)), options_(std::move(options)) {
  manifest_.source = target_.Display();
}

Status LogicalBackup::Prepare(SnapshotCatalog&) {
  const PgTarget& target = target_;
  const LogicalOptions& options = options_;
  // Every database: list them from the maintenance database.
  std::string list_db = target.dbname.empty() ? "postgres" : target.dbname;
  LB_ASSIGN_OR_RETURN(auto conn, PgConn::Connect(target, list_db));
  std::string where = "datname = " + QuoteLiteral(target.dbname);
  if (target.dbname.empty()) {
    if (options.databases.empty()) {
      where = "datallowconn AND NOT datistemplate";
    } else {
      where = "datname IN (";
      for (size_t i = 0; i < options.databases.size(); ++i) where += (i ? ", " : "") + QuoteLiteral(options.databases[i]);
      where += ")";
    }
  } else if (!options.databases.empty()) {
    return InvalidArgument("name the databases either in the URL or with --database, not both");
  }
  LB_ASSIGN_OR_RETURN(Rows rows, conn->Query("SELECT datname, pg_encoding_to_char(encoding), datcollate, datctype "
                                             "FROM pg_database WHERE " + where + " ORDER BY 1"));
  if (rows.size() == 0) {
    return NotFound("no database to back up on " + target.Display());
  }
  for (const auto& want : options.databases) {
    bool found = false;
    for (size_t i = 0; i < rows.size(); ++i) found = found || rows.at(i, 0) == want;
    if (!found) return NotFound("database " + want + " does not exist on " + target.Display(""));
  }
  manifest_.source = target.Display();
  manifest_.server_version = conn->server_version();
  LB_ASSIGN_OR_RETURN(pg_dump_, FindTool("pg_dump", conn->major_version()));
  if (options.globals) {
    LB_ASSIGN_OR_RETURN(pg_dumpall_, FindTool("pg_dumpall", conn->major_version()));
  }
  // pg_dump's version, for the manifest (and to fail early if it cannot run).
  SubprocessOptions v = ToolProcess({pg_dump_, "--version"});
  v.stdout_mode = SubprocessOptions::Io::kPipe;
  LB_ASSIGN_OR_RETURN(auto proc, Subprocess::Start(v));
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(proc->stdout_fd(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  LB_RETURN_IF_ERROR(proc->Wait());
  while (!out.empty() && out.back() == '\n') out.pop_back();
  manifest_.pg_dump_version = out;
  if (options.globals) manifest_.globals = "/postgres/globals.sql";
  for (size_t i = 0; i < rows.size(); ++i) {
    auto db = std::make_unique<Database>();
    std::string file = FileNameFor(rows.at(i, 0));
    db->entry = {rows.at(i, 0), rows.at(i, 1), rows.at(i, 2), rows.at(i, 3), "/postgres/" + file + ".dump",
                 options.fingerprint ? "/postgres/" + file + ".fingerprint.json" : ""};
    manifest_.databases.push_back(db->entry);
    dbs_.push_back(std::move(db));
  }
  return Status::Ok();
}

LogicalBackup::~LogicalBackup() = default;

Result<int> LogicalBackup::OpenDump(Database& db) {
  // One transaction snapshot for the dump and the fingerprint: exported
  // here, imported by pg_dump (--snapshot) and by the fingerprint's
  // connections; this connection holds it until both are done.
  LB_ASSIGN_OR_RETURN(db.conn, PgConn::Connect(target_, db.entry.name));
  LB_RETURN_IF_ERROR(db.conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  LB_ASSIGN_OR_RETURN(Rows snap, db.conn->Query("SELECT pg_export_snapshot()"));
  std::string snapshot = snap.at(0, 0);
  SubprocessOptions o = ToolProcess({pg_dump_, "--format=custom", "--compress=0", "--snapshot=" + snapshot,
                                     "--dbname=" + target_.ConnInfo(db.entry.name)},
                                    &target_);
  o.stdout_mode = SubprocessOptions::Io::kPipe;
  LB_ASSIGN_OR_RETURN(db.dump, Subprocess::Start(o));
  if (options_.fingerprint) {
    db.fingerprint = std::async(std::launch::async, [this, name = db.entry.name, snapshot] {
      return TakeFingerprint(target_, name, snapshot, options_.fingerprint_connections);
    });
  }
  return db.dump->ReleaseStdout();
}

Status LogicalBackup::FinishDump(Database& db) {
  Status dumped = db.dump->Wait();
  Status fp;
  if (db.fingerprint.valid()) {
    auto f = db.fingerprint.get();
    if (f.ok()) {
      db.fingerprint_json = FingerprintToJson(*f);
    } else {
      fp = f.status();
    }
  }
  if (db.conn) db.conn->Exec("COMMIT").IgnoreError();
  db.conn.reset();
  LB_RETURN_IF_ERROR(dumped.WithContext("dump of database " + db.entry.name));
  return fp.WithContext("database " + db.entry.name);
}

Result<int> LogicalBackup::OpenGlobals() {
  SubprocessOptions o = ToolProcess(
      {pg_dumpall_, "--globals-only", "--dbname=" + target_.ConnInfo(target_.dbname.empty() ? "postgres" : target_.dbname)},
      &target_);
  o.stdout_mode = SubprocessOptions::Io::kPipe;
  LB_ASSIGN_OR_RETURN(globals_proc_, Subprocess::Start(o));
  return globals_proc_->ReleaseStdout();
}

std::vector<Item> LogicalBackup::Items() {
  std::vector<Item> items;
  if (options_.globals) {
    items.push_back(StreamItem{manifest_.globals, [this] { return OpenGlobals(); },
                               [this] { return globals_proc_->Wait().WithContext("dump of the cluster's globals"); }});
  }
  for (auto& db : dbs_) {
    Database* d = db.get();
    items.push_back(StreamItem{d->entry.dump, [this, d] { return OpenDump(*d); }, [this, d] { return FinishDump(*d); }});
    if (options_.fingerprint) {
      items.push_back(StreamItem{d->entry.fingerprint, [d] { return FdFromString(d->fingerprint_json); }, nullptr});
    }
  }
  return items;
}

Result<std::vector<Item>> LogicalBackup::Stop() {
  std::vector<Item> items;
  items.push_back(StreamItem{kManifestPath, [this] { return FdFromString(manifest_.ToJson()); }, nullptr});
  return items;
}

Report LogicalBackup::Summary() const {
  const LogicalManifest& m = manifest_;
  Report r;
  std::string names;
  nlohmann::json dbs = nlohmann::json::array();
  for (const auto& d : m.databases) {
    names += (names.empty() ? "" : ", ") + d.name;
    dbs.push_back(d.name);
  }
  r.lines.push_back("PostgreSQL:  " + m.source + " (server " + std::to_string(m.server_version) + "), " +
                    std::to_string(m.databases.size()) + " database(s): " + names +
                    (m.globals.empty() ? "" : " + globals") + "; pg_dump custom format, uncompressed");
  r.json = nlohmann::json{{"source", m.source}, {"databases", dbs}, {"server_version", m.server_version}}.dump();
  return r;
}

}  // namespace lifeboat::pg
