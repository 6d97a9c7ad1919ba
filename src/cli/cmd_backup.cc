#include <sys/stat.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/backup.h"
#include "env/env.h"
#include "io/zstd.h"
#include "source/fs/files.h"
#include "source/registry.h"

namespace lifeboat::cli {
namespace {

// --compression: auto (nullopt: the source's choice), off, max or a level.
Result<std::optional<int>> ParseCompression(const std::string& mode) {
  if (mode == "auto") return std::optional<int>();
  if (mode == "off") return std::optional<int>(0);
  if (mode == "max") return std::optional<int>(kMaxZstdLevel);
  char* end = nullptr;
  long level = std::strtol(mode.c_str(), &end, 10);
  if (mode.empty() || *end != '\0' || level < 1 || level > kMaxZstdLevel) {
    return InvalidArgument("--compression: \"" + mode + "\" is not auto, off, max or a zstd level 1-" +
                           std::to_string(kMaxZstdLevel));
  }
  return std::optional<int>(static_cast<int>(level));
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

int ExitFor(const BackupSummary& s) {
  if (s.errors > 0) {
    std::fprintf(stderr, "lifeboat: backup finished, but %llu item(s) could not be read (see warnings)\n",
                 (unsigned long long)s.errors);
    return kExitIncomplete;
  }
  return kExitOk;
}

void PrintSummary(Context& ctx, const BackupSummary& s, const Report* source);

// The repository as every backup opens it: a shared lock, --parent
// resolved into opts, the index loaded (adopting packs an interrupted
// backup left).
Result<Repository*> OpenForBackup(Context& ctx, BackupOptions* opts) {
  LB_ASSIGN_OR_RETURN(Repository * repo, ctx.Open(Context::LockMode::kShared));
  if (ctx.args().Has("parent")) {
    auto id = repo->ResolvePrefix(FileType::kSnapshot, ctx.args().Get("parent"));
    if (!id.ok()) return id.status().WithContext("--parent");
    opts->parent = *id;
  }
  LB_RETURN_IF_ERROR(repo->LoadIndex(/*adopt_orphans=*/true));
  return repo;
}

int RunStdinBackup(Context& ctx, BackupOptions opts) {
  auto repo = OpenForBackup(ctx, &opts);
  if (!repo.ok()) return Fail(ctx, repo.status());
  StderrWarnings warnings(ctx.json());
  auto result = RunBackupWithHooks(ctx, **repo, nullptr, opts, nullptr, &warnings, "stdin:" + opts.stdin_filename);
  if (!result.ok()) return Fail(ctx, result.status().WithContext("backup"));
  PrintSummary(ctx, *result, nullptr);
  return ExitFor(*result);
}

void PrintSummary(Context& ctx, const BackupSummary& s, const Report* source) {
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
    if (source) j.update(nlohmann::json::parse(source->json));
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  if (ctx.quiet()) return;
  if (source) {
    for (const auto& line : source->lines) std::printf("%s\n", line.c_str());
  }
  if (s.parent) std::printf("using parent snapshot %s\n", s.parent->Short().c_str());
  if (s.files_changed + s.files_unmodified + s.dirs_changed + s.dirs_unmodified > 0 || !source) {
    std::printf("Files:       %llu new, %llu changed, %llu unmodified\n", (unsigned long long)s.files_new,
                (unsigned long long)s.files_changed, (unsigned long long)s.files_unmodified);
    std::printf("Dirs:        %llu new, %llu changed, %llu unmodified\n", (unsigned long long)s.dirs_new,
                (unsigned long long)s.dirs_changed, (unsigned long long)s.dirs_unmodified);
  }
  std::printf("Read:        %s%s (of %s in %llu files)\n", HumanBytes(s.bytes_read).c_str(), source ? "" : " from disk",
              HumanBytes(s.total_bytes_processed).c_str(), (unsigned long long)s.total_files_processed);
  std::printf("Added:       %s stored (%s before compression, %llu data + %llu tree blobs)\n",
              HumanBytes(s.data_added).c_str(), HumanBytes(s.data_added_plain).c_str(),
              (unsigned long long)s.data_blobs, (unsigned long long)s.tree_blobs);
  if (const StorageCounters* c = ctx.storage_counters(); c != nullptr && c->retries.load() > 0) {
    std::printf("Storage:     %llu requests, %llu retried\n", (unsigned long long)c->requests.load(),
                (unsigned long long)c->retries.load());
  }
  std::printf("snapshot %s saved in %s\n", s.snapshot_id.Short().c_str(), HumanDuration(s.duration_seconds).c_str());
}

int RunBackupCmd(Context& ctx) {
  const Args& a = ctx.args();
  BackupOptions opts;
  std::vector<std::string> paths = a.positional();
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
  if (a.Has("compression")) {
    auto level = ParseCompression(a.Get("compression"));
    if (!level.ok()) return Fail(ctx, level.status());
    opts.compression = *level;
  }
  if (a.Has("time")) {
    auto t = ParseUserTime(a.Get("time"));
    if (!t) return Fail(ctx, InvalidArgument("--time: cannot parse \"" + a.Get("time") + "\""));
    opts.time = *t;
  }
  // A data system, by its URL's scheme (source/registry.h).
  if (paths.size() == 1 && DriverForUrl(paths[0]) != nullptr) {
    const Driver* d = DriverForUrl(paths[0]);
    auto source = d->source(paths[0], ArgsOptions(a));
    if (!source.ok()) return Fail(ctx, source.status());
    return RunSourceBackupCmd(ctx, **source, std::move(opts), "backup");
  }
  for (const auto& p : paths) {
    if (DriverForUrl(p) != nullptr) {
      return Fail(ctx, InvalidArgument("a database URL is backed up on its own, without other paths"));
    }
    // A URL of a source this build has no driver for, rather than "no such
    // file" for a path nobody meant.
    struct stat st;
    std::string scheme = UrlScheme(p);
    if (!scheme.empty() && lstat(p.c_str(), &st) != 0) {
      return Fail(ctx, InvalidArgument("backup: " + scheme + ":// is not a source this lifeboat backs up (paths, --stdin, " +
                                       RegisteredSchemes() + " are)"));
    }
  }
  if (opts.use_stdin && !paths.empty()) {
    return Fail(ctx, InvalidArgument("--stdin takes no paths"));
  }
  if (!opts.use_stdin && paths.empty()) {
    return Fail(ctx, InvalidArgument("nothing to back up: give paths or --stdin"));
  }
  if (opts.use_stdin) return RunStdinBackup(ctx, std::move(opts));
  fs::FilesSource files(paths);
  return RunSourceBackupCmd(ctx, files, std::move(opts), "backup");
}

}  // namespace

int RunSourceBackupCmd(Context& ctx, Source& source, BackupOptions opts, const std::string& verb) {
  auto repo = OpenForBackup(ctx, &opts);
  if (!repo.ok()) return Fail(ctx, repo.status());
  ProgressCounters counters;
  StderrWarnings warnings(ctx.json());
  ProgressPrinter printer(&counters, ctx.json(), ctx.quiet(), verb);
  std::string what = source.Display();
  auto result = RunBackupWithHooks(ctx, **repo, &source, opts, &counters, &warnings, what);
  printer.Stop();
  bool files = dynamic_cast<fs::FilesSource*>(&source) != nullptr;
  if (!result.ok()) return Fail(ctx, result.status().WithContext(files ? verb : verb + " of " + what));
  Report report = source.Summary();
  PrintSummary(ctx, *result, files ? nullptr : &report);
  return ExitFor(*result);
}

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
      {"force", 'f', false, "read all files, even unchanged ones (Redis: a full backup)"},
      {"time", 0, true, "record this time instead of now (\"2024-05-01 12:00:00\")", "TIME"},
      {"compression", 0, true, "auto (the source's choice: zstd level 3, Redis 1), off, max (level 19) or a "
                               "zstd level 1-19", "MODE"},
      {"no-fingerprint", 0, false, "PostgreSQL: take no per-table fingerprint (verify can then only restore)"},
      {"no-globals", 0, false, "PostgreSQL: do not dump roles and tablespaces (pg_dumpall --globals-only)"},
      {"database", 0, true, "PostgreSQL, with a URL naming no database: back up these (a,b or repeat)", "NAMES"},
      {"redis-password-file", 0, true, "Redis: read the password from FILE (else the URL or REDISCLI_AUTH)", "FILE"},
      {"cacert", 0, true, "Redis over TLS (rediss://): trust this CA file", "FILE"},
      {"redis-data-dir", 0, true, "Redis: the server's data directory, for the BGSAVE fallback when it refuses "
                                  "replication", "DIR"},
      {"type", 0, true, "Redis: full, delta (the records changed since the newest full) or auto (the default: "
                        "delta unless the full is --full-after days old)", "TYPE"},
      {"full-after", 0, true, "Redis: days after which auto takes a full backup (7)", "DAYS"},
  };
  AddHookFlags(&flags);
  return {"backup", "backup [flags] PATH... | --stdin [--stdin-filename NAME] | postgres://USER@HOST:PORT/[DB] | "
          "redis://[[USER]:PASSWORD@]HOST:PORT",
          "back up files and directories, or standard input", flags, RunBackupCmd};
}

}  // namespace lifeboat::cli
