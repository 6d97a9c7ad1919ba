#include "source/postgres/driver.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/timefmt.h"
#include "source/postgres/logical.h"
#include "source/postgres/physical.h"
#include "source/postgres/restore.h"
#include "source/postgres/verify.h"
#include "source/postgres/wal_archive.h"
#include "source/postgres/wal_commit.h"

namespace lifeboat::pg {
namespace {

std::vector<std::string> Listed(const OptionView& o, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& v : o.All(key)) {
    for (auto& one : SplitList(v)) out.push_back(std::move(one));
  }
  return out;
}

Status NeedLogical(const Snapshot& s) {
  if (IsLogicalSnapshot(s)) return Status::Ok();
  if (IsBaseBackupSnapshot(s)) {
    return InvalidArgument("snapshot " + s.id.Short() +
                           " is a base backup: restore it with lifeboat pg restore");
  }
  return InvalidArgument("snapshot " + s.id.Short() + " is not a PostgreSQL backup");
}

class LogicalTarget final : public RestoreTarget {
 public:
  LogicalTarget(PgTarget to, LogicalRestoreOptions o) : to_(std::move(to)), o_(std::move(o)) {}
  std::string Handle() const override { return to_.Display(to_.dbname); }
  Status Prepare(const Snapshot& s) override { return NeedLogical(s); }
  Result<Report> Restore(SnapshotReader& reader) override {
    LB_ASSIGN_OR_RETURN(LogicalRestoreSummary r, RestoreLogical(reader, to_, o_));
    Report rep;
    rep.lines.push_back("restored database " + r.from + " of snapshot " + reader.snapshot().id.Short() +
                        " into " + to_.Display(r.to) + (r.created ? " (created)" : "") + ": " +
                        HumanBytes(r.bytes) + " dump in " + HumanDuration(r.seconds));
    rep.json = nlohmann::json{{"database", r.from},
                              {"target", to_.Display(r.to)},
                              {"created", r.created},
                              {"dump_bytes", r.bytes},
                              {"total_duration", r.seconds}}
                   .dump();
    return rep;
  }

 private:
  PgTarget to_;
  LogicalRestoreOptions o_;
};

Report VerifyReportOf(const VerifyReport& r, const Snapshot& snap) {
  Report out;
  out.lines.push_back("restore test of snapshot " + r.snapshot + " (" + r.source + ", PostgreSQL " +
                      std::to_string(r.server_major) + ")");
  char line[1024];
  nlohmann::json dbs = nlohmann::json::array();
  for (const auto& d : r.databases) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& t : d.tables) tables.push_back({{"name", t.name}, {"ok", t.ok}, {"detail", t.detail}});
    dbs.push_back({{"database", d.database},
                   {"ok", d.ok()},
                   {"restored", d.restored},
                   {"fingerprint", d.has_fingerprint},
                   {"error", d.error},
                   {"restore_seconds", d.restore_seconds},
                   {"tables", tables}});
    if (!d.restored) {
      std::snprintf(line, sizeof line, "  database %-20s FAILED: %s", d.database.c_str(), d.error.c_str());
      out.lines.push_back(line);
      continue;
    }
    if (!d.has_fingerprint) {
      std::snprintf(line, sizeof line, "  database %-20s restored in %s; no fingerprint was taken at backup",
                    d.database.c_str(), HumanDuration(d.restore_seconds).c_str());
      out.lines.push_back(line);
      continue;
    }
    size_t good = 0;
    for (const auto& t : d.tables) good += t.ok ? 1 : 0;
    std::snprintf(line, sizeof line, "  database %-20s %s: %zu of %zu tables match (restored in %s)",
                  d.database.c_str(), d.ok() ? "ok" : "MISMATCH", good, d.tables.size(),
                  HumanDuration(d.restore_seconds).c_str());
    out.lines.push_back(line);
    for (const auto& t : d.tables) {
      std::snprintf(line, sizeof line, "    %-4s %-40s %s", t.ok ? "ok" : "FAIL", t.name.c_str(),
                    t.detail.c_str());
      out.lines.push_back(line);
    }
  }
  out.lines.push_back(
      std::string(r.ok() ? "verified: every table matches its fingerprint" : "verification FAILED") + " in " +
      HumanDuration(r.seconds));
  out.json = nlohmann::json{{"snapshot_id", snap.id.Hex()},
                            {"source", r.source},
                            {"ok", r.ok()},
                            {"databases", dbs},
                            {"total_duration", r.seconds}}
                 .dump();
  return out;
}

int Jobs(const OptionView& o, int fallback) {
  return o.Has("jobs") ? std::atoi(o.Get("jobs").c_str()) : fallback;
}

}  // namespace

Driver PostgresDriver() {
  Driver d;
  d.name = "postgres";
  d.schemes = {"postgres", "postgresql"};
  // Base backups are restored by `pg restore` (recovery targets, WAL).
  d.owns = [](const Snapshot& s) { return IsLogicalSnapshot(s); };
  d.source = [](const std::string& url, const OptionView& o) -> Result<std::unique_ptr<Source>> {
    // A config job's `physical: true` (and a DR failback): base backups,
    // as `pg basebackup` takes them.
    if (o.Has("physical")) return PhysicalSourceFor(url, o);
    LB_ASSIGN_OR_RETURN(PgTarget target, ParsePgTarget(url));
    LogicalOptions lo;
    lo.fingerprint = !o.Has("no-fingerprint");
    lo.globals = !o.Has("no-globals");
    lo.databases = Listed(o, "database");
    return std::unique_ptr<Source>(new LogicalBackup(std::move(target), lo));
  };
  d.target = [](const std::string& url, const OptionView& o) -> Result<std::unique_ptr<RestoreTarget>> {
    LB_ASSIGN_OR_RETURN(PgTarget target, ParsePgTarget(url));
    LogicalRestoreOptions ro;
    ro.database = o.Get("database");
    ro.create = o.Has("create");
    ro.clean = o.Has("clean");
    ro.no_owner = o.Has("no-owner");
    ro.jobs = Jobs(o, 0);
    return std::unique_ptr<RestoreTarget>(new LogicalTarget(std::move(target), ro));
  };
  d.dump = [](SnapshotReader& reader, const OptionView& o, int fd) -> Status {
    LB_RETURN_IF_ERROR(NeedLogical(reader.snapshot()));
    std::string format = o.Get("format", "custom");
    if (format != "custom" && format != "sql") {
      return InvalidArgument("--format must be custom or sql, not \"" + format + "\"");
    }
    if (format == "custom" && isatty(fd)) {
      return InvalidArgument("refusing to write a binary dump to a terminal: redirect it, or --format sql");
    }
    return WriteDump(reader, o.Get("database"), format == "sql", fd);
  };
  d.verify = [](SnapshotReader& reader, const OptionView& o) -> Result<VerifyOutcome> {
    LB_RETURN_IF_ERROR(NeedLogical(reader.snapshot()));
    int jobs = Jobs(o, 2);
    Result<VerifyReport> report = InvalidArgument("no report");
    if (o.Has("against")) {
      LB_ASSIGN_OR_RETURN(PgTarget against, ParsePgTarget(o.Get("against")));
      report = VerifyAgainst(reader, o.Get("database"), against, jobs);
    } else {
      report = VerifyLogical(reader, jobs);
    }
    if (!report.ok()) return report.status();
    VerifyOutcome out{report->ok(), VerifyReportOf(*report, reader.snapshot())};
    // Restored, but proven against nothing: taken with --no-fingerprint
    // (or by an older lifeboat). Not a pass (docs/validation.md).
    size_t restored = 0, fingerprinted = 0;
    for (const auto& db : report->databases) {
      restored += db.restored ? 1 : 0;
      fingerprinted += db.has_fingerprint ? 1 : 0;
    }
    if (out.passed && !o.Has("against") && restored > 0 && fingerprinted == 0) {
      out.passed = false;
      out.report.lines.push_back("FAIL no fingerprint: none of the " + std::to_string(restored) +
                                 " databases was fingerprinted at backup (--no-fingerprint, or an older "
                                 "lifeboat); restored only");
    }
    return out;
  };
  d.archive_status = [](const std::string& url, const OptionView&,
                        Repository& repo) -> Result<ArchiveStatus> {
    LB_ASSIGN_OR_RETURN(PgTarget target, ParsePgTarget(url));
    return CheckArchiving(target, repo);
  };
  d.diagnose = DiagnosePostgres;
  d.newest_point = [](SnapshotReader& reader) -> Result<std::optional<RecoveryPoint>> {
    if (!IsBaseBackupSnapshot(reader.snapshot())) return std::optional<RecoveryPoint>();
    LB_ASSIGN_OR_RETURN(PhysicalManifest m, LoadPhysicalManifest(reader));
    LB_ASSIGN_OR_RETURN(ArchivedCommit c, LastArchivedCommit(reader.repository(), m));
    if (!c.time || *c.time < reader.snapshot().time) return std::optional<RecoveryPoint>();
    return std::optional<RecoveryPoint>(RecoveryPoint{*c.time, "the last commit in WAL " + c.segment});
  };
  return d;
}

Result<std::unique_ptr<Source>> PhysicalSourceFor(const std::string& url, const OptionView& o) {
  LB_ASSIGN_OR_RETURN(PgTarget target, ParsePgTarget(url));
  PhysicalOptions po;
  po.type = o.Get("type", "auto");
  if (po.type != "auto" && po.type != "full" && po.type != "diff") {
    return InvalidArgument("--type must be full, diff or auto, not \"" + po.type + "\"");
  }
  if (o.Has("full-after")) {
    char* end = nullptr;
    std::string v = o.Get("full-after");
    po.full_after_days = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || po.full_after_days < 0) {
      return InvalidArgument("--full-after takes a number of days, not \"" + v + "\"");
    }
  }
  if (o.Has("archive-timeout")) {
    auto secs = ParseDuration(o.Get("archive-timeout"));
    if (!secs || *secs <= 0) {
      return InvalidArgument("--archive-timeout takes a duration (60s, 5m), not \"" +
                             o.Get("archive-timeout") + "\"");
    }
    po.archive_timeout_seconds = *secs;
  }
  po.force = o.Has("force");
  return std::unique_ptr<Source>(new PhysicalBackup(std::move(target), po));
}

}  // namespace lifeboat::pg
