#include <sys/stat.h>

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/backup.h"
#include "env/env.h"
#include "source/postgres/target.h"
#include "source/redis/client.h"

namespace lifeboat::cli {
namespace {

std::string JoinPaths(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : " ") + p;
  return out;
}

Result<std::vector<std::string>> ReadPatternFile(const std::string& path) {
  LB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line[0] != '#') out.push_back(line);
    start = end + 1;
  }
  return out;
}

int RunBackupCmd(Context& ctx) {
  const Args& a = ctx.args();
  BackupOptions opts;
  opts.paths = a.positional();
  opts.excludes = a.All("exclude");
  for (const auto& file : a.All("exclude-file")) {
    auto patterns = ReadPatternFile(file);
    if (!patterns.ok()) return Fail(ctx, InvalidArgument("--exclude-file: " + patterns.status().message()));
    opts.excludes.insert(opts.excludes.end(), patterns->begin(), patterns->end());
  }
  for (const auto& t : a.All("tag")) {
    for (auto& one : SplitList(t)) opts.tags.push_back(std::move(one));
  }
  opts.host = a.Get("host");
  opts.one_file_system = a.Has("one-file-system");
  opts.use_stdin = a.Has("stdin");
  opts.stdin_filename = a.Get("stdin-filename", "stdin");
  opts.force = a.Has("force");
  if (a.Has("time")) {
    auto t = ParseUserTime(a.Get("time"));
    if (!t) return Fail(ctx, InvalidArgument("--time: cannot parse \"" + a.Get("time") + "\""));
    opts.time = *t;
  }
  if (opts.paths.size() == 1 && redis::IsRedisUrl(opts.paths[0])) {
    std::string url = opts.paths[0];
    return RunRedisBackup(ctx, std::move(opts), url);
  }
  if (opts.paths.size() == 1 && pg::IsPgUrl(opts.paths[0])) {
    std::string url = opts.paths[0];
    return RunPgLogicalBackup(ctx, std::move(opts), url);
  }
  for (const auto& p : opts.paths) {
    if (pg::IsPgUrl(p) || redis::IsRedisUrl(p)) {
      return Fail(ctx, InvalidArgument("a database URL is backed up on its own, without other paths"));
    }
    // A URL of a source this build has no driver for, rather than "no such
    // file" for a path nobody meant.
    size_t colon = p.find("://");
    struct stat st;
    if (colon != std::string::npos && colon > 0 && p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+.-") == colon &&
        lstat(p.c_str(), &st) != 0) {
      return Fail(ctx, InvalidArgument("backup: " + p.substr(0, colon + 3) +
                                       " is not a source this lifeboat backs up (paths, --stdin, postgres:// and redis:// are)"));
    }
  }
  if (opts.use_stdin && !opts.paths.empty()) {
    return Fail(ctx, InvalidArgument("--stdin takes no paths"));
  }
  if (!opts.use_stdin && opts.paths.empty()) {
    return Fail(ctx, InvalidArgument("nothing to back up: give paths or --stdin"));
  }
  auto repo = ctx.Open(Context::LockMode::kShared);
  if (!repo.ok()) return Fail(ctx, repo.status());
  if (a.Has("parent")) {
    auto id = (*repo)->ResolvePrefix(FileType::kSnapshot, a.Get("parent"));
    if (!id.ok()) return Fail(ctx, id.status().WithContext("--parent"));
    opts.parent = *id;
  }
  Status loaded = (*repo)->LoadIndex(/*adopt_orphans=*/true);
  if (!loaded.ok()) return Fail(ctx, loaded);

  ProgressCounters counters;
  StderrWarnings warnings(ctx.json());
  ProgressPrinter printer(&counters, ctx.json(), ctx.quiet() || opts.use_stdin, "backup");
  auto result = RunBackupWithHooks(ctx, **repo, opts, &counters, &warnings, opts.use_stdin ? "stdin:" + opts.stdin_filename : JoinPaths(opts.paths));
  printer.Stop();
  if (!result.ok()) return Fail(ctx, result.status().WithContext("backup"));
  const BackupSummary& s = *result;
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"},
                     {"files_new", s.files_new},
                     {"files_changed", s.files_changed},
                     {"files_unmodified", s.files_unmodified},
                     {"dirs_new", s.dirs_new},
                     {"dirs_changed", s.dirs_changed},
                     {"dirs_unmodified", s.dirs_unmodified},
                     {"data_blobs", s.data_blobs},
                     {"tree_blobs", s.tree_blobs},
                     {"data_added", s.data_added},
                     {"data_added_plain", s.data_added_plain},
                     {"bytes_read", s.bytes_read},
                     {"total_files_processed", s.total_files_processed},
                     {"total_bytes_processed", s.total_bytes_processed},
                     {"total_duration", s.duration_seconds},
                     {"error_count", s.errors},
                     {"snapshot_id", s.snapshot_id.Hex()}};
    if (s.parent) j["parent"] = s.parent->Hex();
    if (const StorageCounters* c = ctx.storage_counters()) {
      j["storage_requests"] = c->requests.load();
      j["storage_retries"] = c->retries.load();
      j["storage_bytes_written"] = c->bytes_written.load();
    }
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    if (s.parent) std::printf("using parent snapshot %s\n", s.parent->Short().c_str());
    std::printf("Files:       %llu new, %llu changed, %llu unmodified\n",
                (unsigned long long)s.files_new, (unsigned long long)s.files_changed,
                (unsigned long long)s.files_unmodified);
    std::printf("Dirs:        %llu new, %llu changed, %llu unmodified\n", (unsigned long long)s.dirs_new,
                (unsigned long long)s.dirs_changed, (unsigned long long)s.dirs_unmodified);
    std::printf("Read:        %s from disk (of %s in %llu files)\n", HumanBytes(s.bytes_read).c_str(),
                HumanBytes(s.total_bytes_processed).c_str(),
                (unsigned long long)s.total_files_processed);
    std::printf("Added:       %s stored (%s before compression, %llu data + %llu tree blobs)\n",
                HumanBytes(s.data_added).c_str(), HumanBytes(s.data_added_plain).c_str(),
                (unsigned long long)s.data_blobs, (unsigned long long)s.tree_blobs);
    if (const StorageCounters* c = ctx.storage_counters(); c != nullptr && c->retries.load() > 0) {
      std::printf("Storage:     %llu requests, %llu retried\n", (unsigned long long)c->requests.load(),
                  (unsigned long long)c->retries.load());
    }
    std::printf("snapshot %s saved in %s\n", s.snapshot_id.Short().c_str(),
                HumanDuration(s.duration_seconds).c_str());
  }
  if (s.errors > 0) {
    std::fprintf(stderr, "lifeboat: backup finished, but %llu item(s) could not be read (see warnings)\n",
                 (unsigned long long)s.errors);
    return kExitIncomplete;
  }
  return kExitOk;
}

}  // namespace

Command BackupCommand() {
  std::vector<FlagSpec> flags = {
      {"exclude", 'e', true, "exclude paths matching PATTERN (repeatable)", "PATTERN"},
      {"exclude-file", 0, true, "read exclude patterns from FILE, one per line", "FILE"},
      {"tag", 0, true, "add tags to the snapshot (a,b or repeat)", "TAGS"},
      {"host", 'H', true, "hostname to record (default: this machine's)", "HOST"},
      {"one-file-system", 'x', false, "do not cross filesystem boundaries"},
      {"stdin", 0, false, "back up standard input"},
      {"stdin-filename", 0, true, "file name for --stdin (default \"stdin\")", "NAME"},
      {"parent", 0, true, "use this snapshot as the parent", "SNAPSHOT"},
      {"force", 'f', false, "read all files, even unchanged ones"},
      {"time", 0, true, "record this time instead of now (\"2024-05-01 12:00:00\")", "TIME"},
      {"no-fingerprint", 0, false, "PostgreSQL: take no per-table fingerprint (verify can then only restore)"},
      {"no-globals", 0, false, "PostgreSQL: do not dump roles and tablespaces (pg_dumpall --globals-only)"},
      {"database", 0, true, "PostgreSQL, with a URL naming no database: back up these (a,b or repeat)", "NAMES"},
      {"redis-password-file", 0, true, "Redis: read the password from FILE (else the URL or REDISCLI_AUTH)", "FILE"},
      {"cacert", 0, true, "Redis over TLS (rediss://): trust this CA file", "FILE"},
      {"redis-data-dir", 0, true, "Redis: the server's data directory, for the BGSAVE fallback when it refuses "
                                  "replication", "DIR"},
  };
  AddHookFlags(&flags);
  return {"backup", "backup [flags] PATH... | --stdin [--stdin-filename NAME] | postgres://USER@HOST:PORT/[DB] | "
          "redis://[[USER]:PASSWORD@]HOST:PORT",
          "back up files and directories, or standard input", flags, RunBackupCmd};
}

}  // namespace lifeboat::cli
