// lifeboat pg: base backups, the WAL archive (wal-push / wal-fetch, for
// archive_command and restore_command), point-in-time restores and WAL
// expiry.
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/snapshot_reader.h"
#include "env/env.h"
#include "source/postgres/driver.h"
#include "source/postgres/physical.h"
#include "source/postgres/target_time.h"
#include "source/postgres/wal_archive.h"
#include "source/postgres/wal_commit.h"
#include "source/postgres/wal_map.h"

namespace lifeboat::cli {
namespace {

Result<pg::PhysicalManifest> ManifestOf(Repository& repo, const Snapshot& s) {
  RepoSnapshotReader reader(repo, s);
  return pg::LoadPhysicalManifest(reader);
}

// pg basebackup URL: the physical Source (planning full or differential
// is its Prepare) through the backup every source runs.
int RunBaseBackup(Context& ctx, const std::string& url) {
  auto source = pg::PhysicalSourceFor(url, ArgsOptions(ctx.args()));
  if (!source.ok()) return Fail(ctx, source.status());
  BackupOptions opts;
  opts.force = ctx.args().Has("force");
  for (const auto& t : ctx.args().All("tag")) {
    for (auto& one : SplitList(t)) opts.tags.push_back(std::move(one));
  }
  return RunSourceBackupCmd(ctx, **source, std::move(opts), "pg basebackup");
}

int RunWalPush(Context& ctx, const std::string& path) {
  auto repo = ctx.Open(Context::LockMode::kNone);
  if (!repo.ok()) return Fail(ctx, repo.status());
  auto r = pg::PushWal(**repo, path);
  if (!r.ok()) return Fail(ctx, r.status());
  if (!ctx.quiet()) {
    std::printf("%s %s (%s, %s stored)\n", r->already_archived ? "already archived:" : "archived", r->name.c_str(),
                HumanBytes(r->bytes).c_str(), HumanBytes(r->stored).c_str());
  }
  return kExitOk;
}

// The prefetch spool: pg_wal/lifeboat-prefetch when PostgreSQL asks for
// pg_wal/RECOVERYXLOG; LIFEBOAT_WAL_PREFETCH=0 turns prefetching off.
constexpr int kPrefetchSegments = 8;

// The first segment a recovery will ask for: START WAL LOCATION in the
// backup_label of the data directory PostgreSQL runs us in.
std::string BackupLabelStartSegment() {
  auto label = ReadWholeFile("backup_label");
  if (!label.ok()) return "";
  size_t at = label->find("(file ");
  if (at == std::string::npos) return "";
  std::string seg = label->substr(at + 6, 24);
  return pg::IsSegmentName(seg) ? seg : "";
}

int RunWalFetch(Context& ctx, const std::string& name, const std::string& dest) {
  const char* p = std::getenv("LIFEBOAT_WAL_PREFETCH");
  bool prefetch = !(p && std::string(p) == "0");
  size_t slash = dest.rfind('/');
  std::string spool = (slash == std::string::npos ? std::string(".") : dest.substr(0, slash)) + "/lifeboat-prefetch";
  if (prefetch && pg::TakeFromSpool(spool, name, dest)) return kExitOk;
  if (prefetch && pg::SpoolKnowsMissing(spool, name)) {
    return Fail(ctx, NotFound("WAL file " + name + " is not in the archive (as listed " +
                              std::to_string(pg::kHistoryListSeconds) + " s ago at most)"));
  }
  auto repo = ctx.Open(Context::LockMode::kNone);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Status s = pg::FetchWal(**repo, name, dest);
  if (prefetch) {
    pg::RecordHistoryList(**repo, spool);
    if (s.ok() && pg::IsSegmentName(name) && name.size() == 24) {
      pg::PrefetchAfter(**repo, spool, name, kPrefetchSegments);
    } else if (!pg::IsSegmentName(name)) {
      // A history file at the start of recovery: the segments come next.
      std::string start = BackupLabelStartSegment();
      // Few: a restore to the end of the backup needs two or three.
      if (!start.empty()) pg::PrefetchAfter(**repo, spool, start, 2, /*include_first=*/true);
    }
  }
  if (!s.ok()) {
    // Past the end of the archive: recovery is about to end.
    if (prefetch && s.code() == Code::kNotFound && pg::IsSegmentName(name)) pg::TrimSpool(spool, pg::PrevSegmentName(name));
    return Fail(ctx, s);
  }
  return kExitOk;
}

// Quotes for a shell command line inside postgresql.conf: double quotes,
// refusing characters that would need more.
Result<std::string> ShellQuote(const std::string& s, const std::string& what) {
  if (s.find_first_of("\"$`\\'\n") != std::string::npos) {
    return InvalidArgument(what + " contains quotes or $: write restore_command yourself (--restore-command)");
  }
  return "\"" + s + "\"";
}

// The restore_command that fetches WAL from this repository, with the
// password passed as a file (never written into the configuration).
Result<std::string> RestoreCommand(const Context& ctx) {
  if (ctx.args().Has("restore-command")) return ctx.args().Get("restore-command");
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return ErrnoStatus("find lifeboat's own path", errno);
  exe[n] = '\0';
  std::string repo = ctx.RepoUrl();
  if (repo.empty()) return InvalidArgument("no repository given (-r or LIFEBOAT_REPOSITORY)");
  if (repo.find("://") == std::string::npos && repo.find(':') == std::string::npos && repo[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) != nullptr) repo = std::string(cwd) + "/" + repo;
  }
  std::string cmd;
  LB_ASSIGN_OR_RETURN(std::string q, ShellQuote(repo, "the repository"));
  cmd += "LIFEBOAT_REPOSITORY=" + q + " ";
  std::string pwfile = ctx.args().Get("password-file");
  if (pwfile.empty()) {
    const char* f = std::getenv("LIFEBOAT_PASSWORD_FILE");
    if (f) pwfile = f;
  }
  if (!pwfile.empty()) {
    char abs[PATH_MAX];
    if (realpath(pwfile.c_str(), abs) == nullptr) return ErrnoStatus("password file " + pwfile, errno);
    LB_ASSIGN_OR_RETURN(q, ShellQuote(abs, "the password file's path"));
    cmd += "LIFEBOAT_PASSWORD_FILE=" + q + " ";
  } else if (const char* c = std::getenv("LIFEBOAT_PASSWORD_COMMAND"); c != nullptr && *c) {
    LB_ASSIGN_OR_RETURN(q, ShellQuote(c, "LIFEBOAT_PASSWORD_COMMAND"));
    cmd += "LIFEBOAT_PASSWORD_COMMAND=" + q + " ";
  } else {
    return InvalidArgument("pg restore writes a restore_command for the server, which needs the repository password "
                           "from a file: give --password-file or LIFEBOAT_PASSWORD_FILE (the password itself is never "
                           "written into the configuration), or --restore-command");
  }
  LB_ASSIGN_OR_RETURN(q, ShellQuote(exe, "lifeboat's path"));
  cmd += q;
  for (const auto& o : ctx.args().All("option")) {
    LB_ASSIGN_OR_RETURN(std::string oq, ShellQuote(o, "an -o option"));
    cmd += " -o " + oq;
  }
  cmd += " -q pg wal-fetch %f %p";
  return cmd;
}

// The base backup to restore: the one named, or the newest (that is
// consistent before --to-time, when given). A --to-time that does not parse
// is a usage error, never "take the newest"; one before the chosen backup's
// consistent point cannot be reached from it. *to_time becomes the target in
// one normal UTC form, so PostgreSQL and this choice agree on the instant.
Result<Snapshot> ChooseBaseBackup(Context& ctx, const std::string& name, std::string* to_time,
                                  const std::string& to_lsn) {
  std::vector<Snapshot> candidates;
  Repository* repo = nullptr;
  if (name != "latest") {
    LB_ASSIGN_OR_RETURN(Snapshot s, ctx.OpenSnapshot(name));  // opens, locks, loads the index
    repo = &ctx.repo();
    if (!pg::IsBaseBackupSnapshot(s)) return InvalidArgument("snapshot " + s.id.Short() + " is not a PostgreSQL base backup");
    if (to_time->empty() && to_lsn.empty()) return s;
    candidates.push_back(std::move(s));
  } else {
    LB_ASSIGN_OR_RETURN(repo, ctx.Open(Context::LockMode::kShared));
    LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo->LoadAllSnapshots());
    LB_RETURN_IF_ERROR(repo->LoadIndex());
    SnapshotFilter f = ctx.Filter();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (pg::IsBaseBackupSnapshot(*it) && f.Matches(*it)) candidates.push_back(*it);
    }
    if (candidates.empty()) return NotFound("no PostgreSQL base backup in the repository");
    if (to_time->empty() && to_lsn.empty()) return candidates.front();
  }
  if (!to_lsn.empty()) {
    // The newest backup consistent at or before the LSN.
    auto target = pg::ParseLsn(to_lsn);
    if (!target) return InvalidArgument("--to-lsn \"" + to_lsn + "\" is not an LSN like 0/A0000D8");
    std::string oldest;
    for (const Snapshot& s : candidates) {
      LB_ASSIGN_OR_RETURN(pg::PhysicalManifest m, ManifestOf(*repo, s));
      auto stop = pg::ParseLsn(m.stop_lsn);
      if (stop && *stop <= *target) return s;
      oldest = "base backup " + s.id.Short() + ", consistent at " + m.stop_lsn;
    }
    return NotFound("--to-lsn " + to_lsn + " is before the " + (name == "latest" ? "oldest " : "") + oldest +
                    ": recovery cannot stop there");
  }
  std::string zone;  // the server's TimeZone, for a target without a zone
  std::string oldest;
  for (const Snapshot& s : candidates) {
    LB_ASSIGN_OR_RETURN(pg::PhysicalManifest m, ManifestOf(*repo, s));
    if (zone.empty()) zone = m.timezone;
    LB_ASSIGN_OR_RETURN(Timestamp target, pg::ParseTargetTime(*to_time, zone));
    auto stop = ParseRfc3339(m.stop_time);
    if (!stop) return Corrupt("base backup " + s.id.Short() + ": manifest has no stop time");
    if (*stop <= target) {
      *to_time = pg::FormatTargetTime(target);
      return s;
    }
    oldest = "base backup " + s.id.Short() + ", consistent at " + m.stop_time;
  }
  LB_ASSIGN_OR_RETURN(Timestamp target, pg::ParseTargetTime(*to_time, zone));
  return NotFound("--to-time " + pg::FormatTargetTime(target) + " is before the " +
                  (name == "latest" ? "oldest " : "") + oldest + ": recovery cannot stop there");
}

// A gap in the WAL archive between the base backup's start and the
// recovery target would make PostgreSQL stop there and promote, silently
// losing what follows: refused unless --allow-gap (and always when the gap
// lies inside the backup itself, which then never becomes consistent).
Status CheckGapsBeforeTarget(Context& ctx, const Snapshot& snap, const pg::PhysicalRestoreOptions& o) {
  Repository& repo = ctx.repo();  // opened, index loaded, by ChooseBaseBackup
  LB_ASSIGN_OR_RETURN(pg::PhysicalManifest m, ManifestOf(repo, snap));
  LB_ASSIGN_OR_RETURN(std::vector<pg::WalFile> files, pg::ListWal(repo));
  pg::WalMap map = pg::MapWal(files);
  std::string target_segment;  // the last segment the target needs, "" for the end of the archive
  if (o.immediate) target_segment = m.stop_wal;
  if (!o.to_lsn.empty()) target_segment = pg::SegmentOfLsn(m.start_wal.substr(0, 8), o.to_lsn);
  for (const pg::WalGap& g : pg::GapsAfter(map, m.start_wal)) {
    bool inside_backup = g.timeline == m.start_wal.substr(0, 8) && g.first_missing <= m.stop_wal;
    if (!inside_backup && !target_segment.empty() && g.first_missing > target_segment) continue;
    std::string what = "the WAL archive misses " + g.Describe() + " on timeline " + g.timeline +
                       " after base backup " + snap.id.Short() + " (which starts at " + m.start_wal + ")";
    if (inside_backup) return NotFound(what + ": the backup cannot become consistent");
    if (ctx.args().Has("allow-gap")) {
      std::fprintf(stderr, "warning: %s: recovery will stop at the gap (--allow-gap)\n", what.c_str());
      continue;
    }
    return NotFound(what + ": recovery would stop there and lose everything after it; give a --to-lsn or "
                           "--to-time before the gap, or --allow-gap to recover up to it");
  }
  return Status::Ok();
}

int RunPhysicalRestore(Context& ctx, const std::string& name) {
  const Args& a = ctx.args();
  pg::PhysicalRestoreOptions o;
  o.data_dir = a.Get("data-dir");
  o.to_time = a.Get("to-time");
  o.to_lsn = a.Get("to-lsn");
  o.immediate = a.Has("immediate");
  int targets = (!o.to_time.empty()) + (!o.to_lsn.empty()) + o.immediate + a.Has("latest");
  if (targets > 1) return Fail(ctx, InvalidArgument("give one of --to-time, --to-lsn, --immediate, --latest"));
  if (o.data_dir.empty()) return Fail(ctx, InvalidArgument("pg restore needs --data-dir DIR"));
  auto cmd = RestoreCommand(ctx);
  if (!cmd.ok()) return Fail(ctx, cmd.status());
  o.restore_command = *cmd;
  auto snap = ChooseBaseBackup(ctx, name, &o.to_time, o.to_lsn);
  if (!snap.ok()) return Fail(ctx, snap.status());
  if (Status gaps = CheckGapsBeforeTarget(ctx, *snap, o); !gaps.ok()) return Fail(ctx, gaps);
  RepoSnapshotReader reader(ctx.repo(), *snap);
  auto r = pg::RestorePhysical(reader, o);
  if (!r.ok()) return Fail(ctx, r.status().WithContext("pg restore"));
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"}, {"snapshot_id", snap->id.Hex()}, {"data_dir", o.data_dir},
                     {"files_restored", r->files}, {"bytes_restored", r->bytes}, {"recovery_target", r->target},
                     {"delta_files", r->delta_files},
                     {"total_duration", r->seconds}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("restored base backup %s into %s: %llu files, %s in %s\n", snap->id.Short().c_str(),
                o.data_dir.c_str(), (unsigned long long)r->files, HumanBytes(r->bytes).c_str(),
                HumanDuration(r->seconds).c_str());
    if (r->delta_files > 0) {
      std::printf("put %llu relation files together from page deltas and the full base backup\n",
                  (unsigned long long)r->delta_files);
    }
    std::printf("recovery from the WAL archive to %s is configured (recovery.signal, postgresql.auto.conf);\n"
                "start the server: pg_ctl -D %s start\n",
                r->target.c_str(), o.data_dir.c_str());
  }
  return kExitOk;
}

// Keeps the WAL the oldest base backup still in the repository needs.
int RunExpireWal(Context& ctx) {
  auto repo = ctx.Open(Context::LockMode::kExclusive);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Status loaded = (*repo)->LoadIndex();
  if (!loaded.ok()) return Fail(ctx, loaded);
  RepoCatalog catalog(**repo);
  auto oldest = pg::OldestNeededWal(catalog);
  if (!oldest.ok()) return Fail(ctx, oldest.status());
  bool dry = ctx.args().Has("dry-run");
  auto gone = pg::ExpireWal(**repo, *oldest, dry);
  if (!gone.ok()) return Fail(ctx, gone.status());
  uint64_t bytes = 0;
  for (const auto& f : *gone) bytes += f.size;
  if (ctx.json()) {
    nlohmann::json names = nlohmann::json::array();
    for (const auto& f : *gone) names.push_back(f.name);
    std::printf("%s\n", nlohmann::json{{"message_type", "summary"}, {"oldest_needed", *oldest}, {"removed", names},
                                       {"bytes_freed", bytes}, {"dry_run", dry}}.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("%s %zu WAL file(s), %s, older than %s (the start of the oldest base backup)\n",
                dry ? "would remove" : "removed", gone->size(), HumanBytes(bytes).c_str(), oldest->c_str());
  }
  return kExitOk;
}

// The archive as ranges per timeline and the gaps between them; --files
// lists every file.
int RunWalList(Context& ctx) {
  auto repo = ctx.Open(Context::LockMode::kNone);
  if (!repo.ok()) return Fail(ctx, repo.status());
  auto files = pg::ListWal(**repo);
  if (!files.ok()) return Fail(ctx, files.status());
  pg::WalMap map = pg::MapWal(*files);
  // --commits: each segment read for its commit records (what a recovery
  // target time can reach).
  const bool commits = ctx.args().Has("commits");
  std::vector<pg::SegmentCommits> scans(files->size());
  if (commits) {
    for (size_t i = 0; i < files->size(); ++i) {
      const std::string& name = (*files)[i].name;
      if (!pg::IsSegmentName(name)) continue;
      auto data = pg::ReadWal(**repo, name);
      if (!data.ok()) return Fail(ctx, data.status());
      auto scan = pg::ScanSegment(*data);
      if (!scan.ok()) return Fail(ctx, scan.status().WithContext("WAL file " + name));
      scans[i] = *scan;
    }
  }
  auto last_commit = [&](size_t i) {
    return scans[i].last_commit ? FormatRfc3339(*scans[i].last_commit) : std::string();
  };
  if (ctx.json()) {
    nlohmann::json j{{"files", nlohmann::json::array()}, {"ranges", nlohmann::json::array()},
                     {"gaps", nlohmann::json::array()}};
    for (size_t i = 0; i < files->size(); ++i) {
      const auto& f = (*files)[i];
      nlohmann::json e{{"name", f.name}, {"size", f.size}};
      if (commits && pg::IsSegmentName(f.name)) {
        e["records"] = scans[i].records;
        e["commits"] = scans[i].commits;
        e["last_commit"] = scans[i].last_commit ? nlohmann::json(last_commit(i)) : nlohmann::json(nullptr);
      }
      j["files"].push_back(e);
    }
    for (const auto& r : map.ranges) {
      j["ranges"].push_back({{"timeline", r.timeline}, {"first", r.first}, {"last", r.last},
                             {"segments", r.segments}, {"bytes", r.bytes}});
    }
    for (const auto& g : map.gaps) {
      j["gaps"].push_back({{"timeline", g.timeline}, {"first_missing", g.first_missing},
                           {"last_missing", g.last_missing}, {"missing", g.missing}});
    }
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  if (ctx.args().Has("files") || commits) {
    for (size_t i = 0; i < files->size(); ++i) {
      const auto& f = (*files)[i];
      std::printf("%s  %s", f.name.c_str(), HumanBytes(f.size).c_str());
      if (commits && pg::IsSegmentName(f.name)) {
        std::printf("  %llu records, %llu commits%s", (unsigned long long)scans[i].records,
                    (unsigned long long)scans[i].commits,
                    scans[i].last_commit ? (", the last at " + last_commit(i)).c_str() : "");
      }
      std::printf("\n");
    }
    return kExitOk;
  }
  for (const auto& r : map.ranges) {
    std::printf("timeline %s: %s .. %s  %llu segments, %s stored\n", r.timeline.c_str(), r.first.c_str(),
                r.last.c_str(), (unsigned long long)r.segments, HumanBytes(r.bytes).c_str());
  }
  for (const auto& g : map.gaps) std::printf("gap on timeline %s: missing %s\n", g.timeline.c_str(), g.Describe().c_str());
  for (const auto& f : map.others) std::printf("%s  %s\n", f.name.c_str(), HumanBytes(f.size).c_str());
  if (map.ranges.empty()) std::printf("the WAL archive is empty\n");
  return kExitOk;
}

int RunPg(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.empty()) return Fail(ctx, InvalidArgument("pg needs a subcommand: basebackup, wal-push, wal-fetch, restore, expire-wal, wal-list"));
  const std::string& sub = pos[0];
  auto need = [&](size_t n, const char* usage) -> bool {
    if (pos.size() == n + 1) return true;
    (void)Fail(ctx, InvalidArgument(std::string("usage: lifeboat pg ") + usage));
    return false;
  };
  if (sub == "basebackup") return need(1, "basebackup postgres://USER@HOST:PORT/") ? RunBaseBackup(ctx, pos[1]) : kExitUsage;
  if (sub == "wal-push") return need(1, "wal-push PATH (archive_command = 'lifeboat pg wal-push %p')") ? RunWalPush(ctx, pos[1]) : kExitUsage;
  if (sub == "wal-fetch") return need(2, "wal-fetch NAME DEST (restore_command = 'lifeboat pg wal-fetch %f %p')") ? RunWalFetch(ctx, pos[1], pos[2]) : kExitUsage;
  if (sub == "restore") {
    if (pos.size() > 2) return Fail(ctx, InvalidArgument("usage: lifeboat pg restore [SNAPSHOT] --data-dir DIR [--to-time T | --to-lsn L | --latest]"));
    return RunPhysicalRestore(ctx, pos.size() == 2 ? pos[1] : "latest");
  }
  if (sub == "expire-wal") return RunExpireWal(ctx);
  if (sub == "wal-list") return RunWalList(ctx);
  return Fail(ctx, InvalidArgument("pg: unknown subcommand \"" + sub + "\""));
}

}  // namespace

Command PgCommand() {
  std::vector<FlagSpec> flags = {
      {"data-dir", 'D', true, "restore: the (empty or new) data directory", "DIR"},
      {"to-time", 0, true, "restore: recover up to this time (recovery_target_time)", "TIME"},
      {"to-lsn", 0, true, "restore: recover up to this LSN (recovery_target_lsn)", "LSN"},
      {"latest", 0, false, "restore: recover to the end of the archive (the default)"},
      {"immediate", 0, false, "restore: stop as soon as the base backup is consistent"},
      {"allow-gap", 0, false,
       "restore: recover although the WAL archive has a gap before the target "
       "(recovery stops at the gap)"},
      {"files", 0, false, "wal-list: every archived file instead of ranges"},
      {"commits", 0, false, "wal-list: read each segment for its commits (count, the last one's time)"},
      {"restore-command", 0, true, "restore: write this restore_command instead of lifeboat's own", "CMD"},
      {"tag", 0, true, "basebackup: more tags for the snapshot", "TAGS"},
      {"archive-timeout", 0, true,
       "basebackup: how long to wait for the backup's last WAL segment to be "
       "archived (default 60s)",
       "DURATION"},
      {"force", 'f', false, "basebackup: read every file, ignoring the previous base backup (a full one)"},
      {"type", 0, true,
       "basebackup: full, diff (page deltas against the newest full) or auto (the default: "
       "diff unless the full is --full-after days old)",
       "TYPE"},
      {"full-after", 0, true, "basebackup: days after which auto takes a full base backup (7)", "DAYS"},
      {"dry-run", 'n', false, "expire-wal: only say what would go"},
  };
  AddFilterFlags(&flags);
  AddHookFlags(&flags);
  return {"pg",
          "pg basebackup URL | wal-push PATH | wal-fetch NAME DEST | restore [SNAPSHOT] --data-dir DIR "
          "[--to-time T | --to-lsn L | --latest] | expire-wal | wal-list",
          "PostgreSQL physical backups, WAL archive and point-in-time restore", flags, RunPg};
}

}  // namespace lifeboat::cli
