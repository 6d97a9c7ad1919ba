// PostgreSQL forms of backup, restore and dump, and the verify command.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/backup.h"
#include "source/postgres/logical.h"
#include "source/postgres/restore.h"
#include "source/postgres/verify.h"
#include "source/redis/restore.h"

namespace lifeboat::cli {

// The snapshot `name`; "latest" is the newest logical PostgreSQL snapshot
// (after the filters), not the newest snapshot of any kind.
Result<Snapshot> OpenLogicalSnapshot(Context& ctx, const std::string& name) {
  if (name != "latest") return ctx.OpenSnapshot(name);
  LB_ASSIGN_OR_RETURN(Repository * repo, ctx.Open(Context::LockMode::kShared));
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo->LoadAllSnapshots());
  SnapshotFilter f = ctx.Filter();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (pg::IsLogicalSnapshot(*it) && f.Matches(*it)) {
      LB_RETURN_IF_ERROR(repo->LoadIndex());
      return *it;
    }
  }
  return NotFound("no logical PostgreSQL snapshot" + std::string(f.empty() ? "" : " matches the filter"));
}

int RunPgLogicalBackup(Context& ctx, BackupOptions opts, const std::string& url) {
  const Args& a = ctx.args();
  auto target = pg::ParsePgTarget(url);
  if (!target.ok()) return Fail(ctx, target.status());
  pg::LogicalOptions lo;
  lo.fingerprint = !a.Has("no-fingerprint");
  lo.globals = !a.Has("no-globals");
  for (const auto& d : a.All("database")) {
    for (auto& one : SplitList(d)) lo.databases.push_back(std::move(one));
  }
  auto plan = pg::LogicalBackup::Prepare(*target, lo);
  if (!plan.ok()) return Fail(ctx, plan.status().WithContext("backup"));
  opts.paths.clear();
  opts.streams = (*plan)->Items();
  opts.snapshot_paths = (*plan)->SnapshotPaths();
  auto repo = ctx.Open(Context::LockMode::kShared);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Status loaded = (*repo)->LoadIndex(/*adopt_orphans=*/true);
  if (!loaded.ok()) return Fail(ctx, loaded);
  ProgressCounters counters;
  StderrWarnings warnings(ctx.json());
  ProgressPrinter printer(&counters, ctx.json(), ctx.quiet(), "backup");
  auto result = RunBackupWithHooks(ctx, **repo, opts, &counters, &warnings, target->Display());
  printer.Stop();
  if (!result.ok()) return Fail(ctx, result.status().WithContext("backup of " + target->Display()));
  const BackupSummary& s = *result;
  const pg::LogicalManifest& m = (*plan)->manifest();
  if (ctx.json()) {
    nlohmann::json dbs = nlohmann::json::array();
    for (const auto& d : m.databases) dbs.push_back(d.name);
    nlohmann::json j{{"message_type", "summary"},  {"source", m.source},
                     {"databases", dbs},           {"server_version", m.server_version},
                     {"data_blobs", s.data_blobs}, {"tree_blobs", s.tree_blobs},
                     {"data_added", s.data_added}, {"data_added_plain", s.data_added_plain},
                     {"total_bytes_processed", s.total_bytes_processed},
                     {"total_duration", s.duration_seconds}, {"snapshot_id", s.snapshot_id.Hex()}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::string names;
    for (const auto& d : m.databases) names += (names.empty() ? "" : ", ") + d.name;
    std::printf("PostgreSQL:  %s (server %d), %zu database(s): %s%s\n", m.source.c_str(), m.server_version,
                m.databases.size(), names.c_str(), m.globals.empty() ? "" : " + globals");
    std::printf("Dumped:      %s (pg_dump custom format, uncompressed)\n",
                HumanBytes(s.total_bytes_processed).c_str());
    std::printf("Added:       %s stored (%s before compression, %llu data + %llu tree blobs)\n",
                HumanBytes(s.data_added).c_str(), HumanBytes(s.data_added_plain).c_str(),
                (unsigned long long)s.data_blobs, (unsigned long long)s.tree_blobs);
    std::printf("snapshot %s saved in %s\n", s.snapshot_id.Short().c_str(), HumanDuration(s.duration_seconds).c_str());
  }
  return kExitOk;
}

int RunPgLogicalRestore(Context& ctx, const std::string& snapshot_name, const std::string& url) {
  const Args& a = ctx.args();
  auto target = pg::ParsePgTarget(url);
  if (!target.ok()) return Fail(ctx, target.status());
  auto snap = OpenLogicalSnapshot(ctx, snapshot_name);
  if (!snap.ok()) return Fail(ctx, snap.status());
  pg::LogicalRestoreOptions o;
  o.database = a.Get("database");
  o.create = a.Has("create");
  o.clean = a.Has("clean");
  o.no_owner = a.Has("no-owner");
  o.jobs = a.Has("jobs") ? std::atoi(a.Get("jobs").c_str()) : 0;
  auto r = pg::RestoreLogical(ctx.repo(), *snap, *target, o);
  if (!r.ok()) return Fail(ctx, r.status().WithContext("restore"));
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"}, {"snapshot_id", snap->id.Hex()}, {"database", r->from},
                     {"target", target->Display(r->to)}, {"created", r->created}, {"dump_bytes", r->bytes},
                     {"total_duration", r->seconds}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("restored database %s of snapshot %s into %s%s: %s dump in %s\n", r->from.c_str(),
                snap->id.Short().c_str(), target->Display(r->to).c_str(), r->created ? " (created)" : "",
                HumanBytes(r->bytes).c_str(), HumanDuration(r->seconds).c_str());
  }
  return kExitOk;
}

int RunPgDump(Context& ctx, const Snapshot& snap) {
  std::string format = ctx.args().Get("format", "custom");
  if (format != "custom" && format != "sql") {
    return Fail(ctx, InvalidArgument("--format must be custom or sql, not \"" + format + "\""));
  }
  if (format == "custom" && isatty(STDOUT_FILENO)) {
    return Fail(ctx, InvalidArgument("refusing to write a binary dump to a terminal: redirect it, or --format sql"));
  }
  Status s = pg::WriteDump(ctx.repo(), snap, ctx.args().Get("database"), format == "sql", STDOUT_FILENO);
  if (!s.ok()) return Fail(ctx, s.WithContext("dump"));
  return kExitOk;
}

namespace {

void PrintReport(const pg::VerifyReport& r) {
  std::printf("restore test of snapshot %s (%s, PostgreSQL %d)\n", r.snapshot.c_str(), r.source.c_str(),
              r.server_major);
  for (const auto& d : r.databases) {
    if (!d.restored) {
      std::printf("  database %-20s FAILED: %s\n", d.database.c_str(), d.error.c_str());
      continue;
    }
    size_t good = 0;
    for (const auto& t : d.tables) good += t.ok ? 1 : 0;
    if (!d.has_fingerprint) {
      std::printf("  database %-20s restored in %s; no fingerprint was taken at backup\n", d.database.c_str(),
                  HumanDuration(d.restore_seconds).c_str());
      continue;
    }
    std::printf("  database %-20s %s: %zu of %zu tables match (restored in %s)\n", d.database.c_str(),
                d.ok() ? "ok" : "MISMATCH", good, d.tables.size(), HumanDuration(d.restore_seconds).c_str());
    for (const auto& t : d.tables) {
      std::printf("    %-4s %-40s %s\n", t.ok ? "ok" : "FAIL", t.name.c_str(), t.detail.c_str());
    }
  }
  std::printf("%s in %s\n", r.ok() ? "verified: every table matches its fingerprint" : "verification FAILED",
              HumanDuration(r.seconds).c_str());
}

int RunVerify(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.size() > 1) return Fail(ctx, InvalidArgument("verify takes at most one snapshot ID"));
  Result<Snapshot> snap = OpenDatabaseSnapshot(ctx, pos.empty() ? "latest" : pos[0], false);
  if (!snap.ok()) return Fail(ctx, snap.status());
  if (redis::IsRedisSnapshot(*snap)) return RunRedisVerify(ctx, *snap);
  if (!pg::IsLogicalSnapshot(*snap)) {
    return Fail(ctx, InvalidArgument("snapshot " + snap->id.Short() +
                                     " is not a PostgreSQL backup; for files use check --read-data or restore --verify"));
  }
  int jobs = ctx.args().Has("jobs") ? std::atoi(ctx.args().Get("jobs").c_str()) : 2;
  Result<pg::VerifyReport> report = InvalidArgument("no report");
  if (ctx.args().Has("against")) {
    auto against = pg::ParsePgTarget(ctx.args().Get("against"));
    if (!against.ok()) return Fail(ctx, against.status());
    report = pg::VerifyAgainst(ctx.repo(), *snap, ctx.args().Get("database"), *against, jobs);
  } else {
    report = pg::VerifyLogical(ctx.repo(), *snap, jobs);
  }
  if (!report.ok()) return Fail(ctx, report.status().WithContext("verify"));
  if (ctx.json()) {
    nlohmann::json dbs = nlohmann::json::array();
    for (const auto& d : report->databases) {
      nlohmann::json tables = nlohmann::json::array();
      for (const auto& t : d.tables) tables.push_back({{"name", t.name}, {"ok", t.ok}, {"detail", t.detail}});
      dbs.push_back({{"database", d.database}, {"ok", d.ok()}, {"restored", d.restored},
                     {"fingerprint", d.has_fingerprint}, {"error", d.error},
                     {"restore_seconds", d.restore_seconds}, {"tables", tables}});
    }
    nlohmann::json j{{"message_type", "verify"}, {"snapshot_id", snap->id.Hex()}, {"source", report->source},
                     {"ok", report->ok()}, {"databases", dbs}, {"total_duration", report->seconds}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    PrintReport(*report);
  }
  if (!report->ok()) {
    if (!ctx.json()) std::fprintf(stderr, "lifeboat: verify: snapshot %s did not restore to the data it was taken of\n", snap->id.Short().c_str());
    return kExitDataError;
  }
  return kExitOk;
}

}  // namespace

Command VerifyCommand() {
  std::vector<FlagSpec> flags = {
      {"jobs", 'j', true, "pg_restore jobs and fingerprint connections (default 2)", "N"},
      {"against", 0, true, "compare with this live database instead of restoring into a scratch server", "URL"},
      {"database", 0, true, "with --against: which database of the snapshot", "NAME"},
  };
  AddFilterFlags(&flags);
  return {"verify", "verify [flags] [SNAPSHOT]",
          "restore test: load a PostgreSQL or Redis snapshot into a scratch server and compare its fingerprint",
          flags, RunVerify};
}

}  // namespace lifeboat::cli
