#include "source/postgres/verify.h"

#include <chrono>

#include "env/process.h"
#include "source/postgres/conn.h"
#include "source/postgres/restore.h"
#include "source/postgres/scratch.h"
#include "source/postgres/tools.h"

namespace lifeboat::pg {
namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Runs the globals script with psql; roles that exist already (postgres)
// make harmless errors, which psql reports and passes.
Status RestoreGlobals(SnapshotReader& reader, const LogicalManifest& m, const ScratchServer& s) {
  if (m.globals.empty()) return Status::Ok();
  LB_ASSIGN_OR_RETURN(Node node, reader.Find(m.globals));
  LB_ASSIGN_OR_RETURN(std::string psql, FindTool("psql", s.major()));
  SubprocessOptions o = ToolProcess({psql, "--quiet", "--no-psqlrc", "--dbname=" + s.target().ConnInfo("postgres"), "--file=-"});
  o.stdin_mode = SubprocessOptions::Io::kPipe;
  o.stdout_mode = SubprocessOptions::Io::kNull;
  o.unsetenv.push_back("PGPASSWORD");  // the scratch server trusts its socket
  LB_ASSIGN_OR_RETURN(auto p, Subprocess::Start(o));
  Status w = reader.CopyFile(node, p->stdin_fd(), "psql's input");
  p->CloseStdin();
  LB_RETURN_IF_ERROR(p->Wait());
  return w;
}

}  // namespace

bool DatabaseVerdict::ok() const {
  if (!restored) return false;
  for (const auto& t : tables) {
    if (!t.ok) return false;
  }
  return true;
}

bool VerifyReport::ok() const {
  if (databases.empty()) return false;
  for (const auto& d : databases) {
    if (!d.ok()) return false;
  }
  return true;
}

Result<VerifyReport> VerifyLogical(SnapshotReader& reader, int jobs) {
  const Snapshot& snapshot = reader.snapshot();
  auto start = std::chrono::steady_clock::now();
  LB_ASSIGN_OR_RETURN(LogicalManifest m, LoadManifest(reader));
  VerifyReport report;
  report.snapshot = snapshot.id.Short();
  report.source = m.source;
  report.server_major = m.server_version / 10000;
  LB_ASSIGN_OR_RETURN(auto server, ScratchServer::Start(report.server_major));
  // Roles first, so that ownership and grants restore as they were.
  Status globals = RestoreGlobals(reader, m, *server);
  for (const DatabaseEntry& e : m.databases) {
    DatabaseVerdict v;
    v.database = e.name;
    auto t0 = std::chrono::steady_clock::now();
    LogicalRestoreOptions ro;
    ro.database = e.name;
    ro.create = true;
    ro.no_tablespaces = true;
    ro.no_owner = !globals.ok();
    ro.jobs = jobs;
    PgTarget to = server->target();
    to.dbname = e.name;
    auto restored = RestoreLogical(reader, to, ro);
    v.restore_seconds = Since(t0);
    if (!restored.ok()) {
      v.error = restored.status().message();
      report.databases.push_back(std::move(v));
      continue;
    }
    v.restored = true;
    if (!e.fingerprint.empty()) {
      v.has_fingerprint = true;
      auto text = reader.ReadFile(e.fingerprint);
      Result<DatabaseFingerprint> expected = text.ok() ? FingerprintFromJson(*text) : Result<DatabaseFingerprint>(text.status());
      auto actual = TakeFingerprint(server->target(), to.dbname, "", std::max(1, jobs));
      if (!expected.ok() || !actual.ok()) {
        v.restored = false;
        v.error = (!expected.ok() ? expected.status() : actual.status()).message();
      } else {
        v.tables = CompareFingerprints(*expected, *actual);
      }
    }
    report.databases.push_back(std::move(v));
  }
  report.seconds = Since(start);
  return report;
}

Result<VerifyReport> VerifyAgainst(SnapshotReader& reader, const std::string& database,
                                   const PgTarget& against, int connections) {
  const Snapshot& snapshot = reader.snapshot();
  auto start = std::chrono::steady_clock::now();
  LB_ASSIGN_OR_RETURN(LogicalManifest m, LoadManifest(reader));
  LB_ASSIGN_OR_RETURN(const DatabaseEntry* e, m.Find(database));
  if (e->fingerprint.empty()) {
    return InvalidArgument("snapshot " + snapshot.id.Short() + " holds no fingerprint of " + e->name);
  }
  VerifyReport report;
  report.snapshot = snapshot.id.Short();
  report.source = m.source;
  report.server_major = m.server_version / 10000;
  LB_ASSIGN_OR_RETURN(std::string text, reader.ReadFile(e->fingerprint));
  LB_ASSIGN_OR_RETURN(DatabaseFingerprint expected, FingerprintFromJson(text));
  std::string db = against.dbname.empty() ? e->name : against.dbname;
  LB_ASSIGN_OR_RETURN(DatabaseFingerprint actual, TakeFingerprint(against, db, "", connections));
  DatabaseVerdict v;
  v.database = e->name + " (against " + against.Display(db) + ")";
  v.restored = true;
  v.has_fingerprint = true;
  v.tables = CompareFingerprints(expected, actual);
  report.databases.push_back(std::move(v));
  report.seconds = Since(start);
  return report;
}

}  // namespace lifeboat::pg
