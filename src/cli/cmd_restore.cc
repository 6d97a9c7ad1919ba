#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/restore.h"
#include "engine/select.h"
#include "engine/snapshot_reader.h"
#include "source/registry.h"

namespace lifeboat::cli {
namespace {

// restore SNAPSHOT --to URL (a live server, by the URL's driver) or
// --data-dir DIR (files for a stopped server, by the snapshot's driver).
int RunTargetRestore(Context& ctx, const std::string& name) {
  const Args& a = ctx.args();
  ArgsOptions options(a);
  const Driver* driver = nullptr;
  Result<std::unique_ptr<RestoreTarget>> target = InvalidArgument("no target");
  if (a.Has("to")) {
    if (a.Has("data-dir")) return Fail(ctx, InvalidArgument("give --to or --data-dir, not both"));
    driver = DriverForUrl(a.Get("to"));
    if (driver == nullptr || !driver->target) {
      return Fail(ctx, InvalidArgument("--to takes a URL of " + RegisteredSchemes() + "; for files use --target DIR"));
    }
    target = driver->target(a.Get("to"), options);
  }
  auto snap = OpenDatabaseSnapshot(ctx, name, driver);
  if (!snap.ok()) return Fail(ctx, snap.status());
  if (driver == nullptr) {
    driver = DriverForSnapshot(*snap);
    if (driver == nullptr || !driver->data_dir_target) {
      return Fail(ctx, InvalidArgument("--data-dir: snapshot " + snap->id.Short() +
                                       " is not a backup that restores into a data directory (Redis); "
                                       "PostgreSQL base backups restore with lifeboat pg restore"));
    }
    target = driver->data_dir_target(a.Get("data-dir"), options);
  }
  if (!target.ok()) return Fail(ctx, target.status());
  Status prepared = (*target)->Prepare(*snap);
  if (!prepared.ok()) return Fail(ctx, prepared.WithContext("restore"));
  RepoSnapshotReader reader(ctx.repo(), *snap);
  auto report = (*target)->Restore(reader);
  if (!report.ok()) return Fail(ctx, report.status().WithContext("restore"));
  PrintReport(ctx, "summary", *snap, *report);
  return kExitOk;
}

int RunRestoreCmd(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.size() != 1) return Fail(ctx, InvalidArgument("restore needs exactly one snapshot ID (or \"latest\")"));
  if (ctx.args().Has("to") || ctx.args().Has("data-dir")) return RunTargetRestore(ctx, pos[0]);
  RestoreOptions opts;
  opts.target = ctx.args().Get("target");
  if (opts.target.empty()) return Fail(ctx, InvalidArgument("restore needs --target DIR"));
  opts.includes = ctx.args().All("include");
  opts.excludes = ctx.args().All("exclude");
  opts.verify = ctx.args().Has("verify");
  opts.check_fingerprints = opts.verify;  // the same read: free
  auto snap = ctx.OpenSnapshot(pos[0]);
  if (!snap.ok()) return Fail(ctx, snap.status());
  Repository& repo = ctx.repo();
  if (!ctx.quiet() && !ctx.json()) {
    std::printf("restoring snapshot %s of [%s] at %s to %s\n", snap->id.Short().c_str(),
                snap->paths.empty() ? "" : snap->paths[0].c_str(), FormatLocal(snap->time).c_str(),
                opts.target.c_str());
  }
  ProgressCounters counters;
  StderrWarnings warnings(ctx.json());
  ProgressPrinter printer(&counters, ctx.json(), ctx.quiet(), "restore");
  auto result = RunRestore(repo, *snap, opts, &counters, &warnings);
  printer.Stop();
  if (!result.ok()) return Fail(ctx, result.status().WithContext("restore"));
  const RestoreSummary& r = *result;
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"},
                     {"files_restored", r.files},
                     {"dirs_restored", r.dirs},
                     {"other_restored", r.others},
                     {"bytes_restored", r.bytes},
                     {"error_count", r.errors},
                     {"files_verified", r.verified_files},
                     {"files_fingerprint_matched", r.fingerprint_matched},
                     {"total_duration", r.duration_seconds},
                     {"snapshot_id", snap->id.Hex()}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("restored %llu files, %llu directories, %llu other entries, %s in %s%s\n",
                (unsigned long long)r.files, (unsigned long long)r.dirs, (unsigned long long)r.others,
                HumanBytes(r.bytes).c_str(), HumanDuration(r.duration_seconds).c_str(),
                opts.verify
                    ? (", verified " + std::to_string(r.verified_files) + " files (" +
                       std::to_string(r.fingerprint_matched) + " against the fingerprint taken at backup)")
                          .c_str()
                    : "");
  }
  if (r.errors > 0) {
    std::fprintf(stderr, "lifeboat: restore finished, but %llu item(s) could not be restored (see warnings)\n",
                 (unsigned long long)r.errors);
    return kExitIncomplete;
  }
  return kExitOk;
}

}  // namespace

Command RestoreCommand() {
  std::vector<FlagSpec> flags = {
      {"target", 't', true, "directory to restore into", "DIR"},
      {"include", 'i', true, "restore only paths matching PATTERN (repeatable)", "PATTERN"},
      {"exclude", 'e', true, "do not restore paths matching PATTERN (repeatable)", "PATTERN"},
      {"verify", 0, false,
       "re-read restored files and check them against the snapshot and the fingerprints taken at backup"},
      {"to", 0, true, "PostgreSQL: restore the snapshot's database into this server/database", "URL"},
      {"database", 0, true, "PostgreSQL: which database of the snapshot (if it holds several)", "NAME"},
      {"create", 0, false, "PostgreSQL: create the target database if it does not exist"},
      {"clean", 0, false, "PostgreSQL: replace the contents of a non-empty target database"},
      {"no-owner", 0, false, "PostgreSQL: do not restore object ownership"},
      {"jobs", 'j', true, "PostgreSQL: parallel pg_restore jobs (default: one per core)", "N"},
      {"flush", 0, false, "Redis: empty the target server (FLUSHALL) first"},
      {"replace", 0, false,
       "Redis: overwrite keys the target has (and, with --data-dir, an existing dump.rdb)"},
      {"data-dir", 0, true, "Redis: write dump.rdb into this stopped server's directory", "DIR"},
      {"redis-password-file", 0, true,
       "Redis: the target's password from FILE (else the URL or REDISCLI_AUTH)", "FILE"},
      {"cacert", 0, true, "Redis over TLS (rediss://): trust this CA file", "FILE"},
  };
  AddFilterFlags(&flags);
  return {"restore", "restore [flags] SNAPSHOT --target DIR | --to postgres://USER@HOST:PORT/DB | --to redis://HOST:PORT | --data-dir DIR", "restore a snapshot", flags, RunRestoreCmd};
}

}  // namespace lifeboat::cli
