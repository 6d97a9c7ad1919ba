#include "cli/common.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "env/env.h"
#include "jobs/hooks.h"

namespace lifeboat::cli {
namespace {

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string Clock(double seconds) {
  int s = static_cast<int>(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%d:%02d", s / 60, s % 60);
  }
  return buf;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return kExitOk;
    case Code::kInvalidArgument: return kExitUsage;
    case Code::kNotRepository: return kExitNoRepository;
    case Code::kLocked: return kExitLocked;
    case Code::kWrongPassword: return kExitWrongPassword;
    case Code::kNotFound: return kExitNotFound;
    case Code::kNoSpace: return kExitNoSpace;
    case Code::kIncomplete: return kExitIncomplete;
    case Code::kArchived: return kExitArchived;
    case Code::kCorrupt: return kExitDataError;
    case Code::kAccessDenied: return kExitAccessDenied;
    case Code::kUnavailable: return kExitUnavailable;
    default: return kExitFatal;
  }
}

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> flags = {
      {"repo", 'r', true,
       "repository (path, local:PATH or s3:[https://]HOST/BUCKET[/PREFIX]); default $LIFEBOAT_REPOSITORY",
       "URL"},
      {"option", 'o', true, "storage option KEY=VALUE, e.g. s3.region=eu-west-1 (repeatable; docs/s3.md)",
       "KEY=VALUE"},
      {"password-file", 'p', true, "read the repository password from FILE", "FILE"},
      {"cold-restore-days", 0, true,
       "S3: restore packs in GLACIER/DEEP_ARCHIVE first, keeping the copies N days (as -o "
       "s3.cold-restore-days)",
       "N"},
      {"cold-restore-tier", 0, true, "S3: Expedited, Standard (default) or Bulk (as -o s3.cold-restore-tier)",
       "TIER"},
      {"password-command", 0, true, "run COMMAND and use its output as the password", "COMMAND"},
      {"json", 0, false, "machine-readable output"},
      {"quiet", 'q', false, "print nothing but errors and results"},
      {"verbose", 'v', false, "print more"},
      {"no-lock", 0, false, "do not lock the repository (read-only commands only)"},
      {"retry-lock", 0, true, "wait up to DURATION (30s, 10m) for a conflicting lock to be released",
       "DURATION"},
      {"help", 'h', false, "show help"},
      {"cache-dir", 0, true,
       "local cache (default $LIFEBOAT_CACHE_DIR, $XDG_CACHE_HOME/lifeboat or ~/.cache/lifeboat)", "DIR"},
      {"no-cache", 0, false, "use no local cache (a Redis delta then reads its full back)"},
  };
  return flags;
}

void AddFilterFlags(std::vector<FlagSpec>* flags) {
  flags->push_back({"host", 'H', true, "only snapshots of this host (repeatable)", "HOST"});
  flags->push_back({"tag", 0, true, "only snapshots with these tags (a,b = both; repeat = either)", "TAGS"});
  flags->push_back({"path", 0, true, "only snapshots that include this path (repeatable)", "PATH"});
}

std::string Context::RepoUrl() const {
  if (args_.Has("repo")) return args_.Get("repo");
  const char* env = std::getenv("LIFEBOAT_REPOSITORY");
  return env ? env : "";
}

Result<StorageOptions> Context::Options() const {
  StorageOptions out;
  for (const std::string& o : args_.All("option")) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidArgument("-o " + o + ": want KEY=VALUE");
    out[o.substr(0, eq)] = o.substr(eq + 1);
  }
  if (args_.Has("cold-restore-days")) out["s3.cold-restore-days"] = args_.Get("cold-restore-days");
  if (args_.Has("cold-restore-tier")) out["s3.cold-restore-tier"] = args_.Get("cold-restore-tier");
  // --quiet silences the archive tier's progress lines too (errors stay).
  if (quiet() && RepoUrl().starts_with("s3:")) out.try_emplace("s3.cold-restore-progress", "false");
  return out;
}

Result<std::unique_ptr<Storage>> Context::OpenRepoStorage() {
  LB_ASSIGN_OR_RETURN(StorageOptions options, Options());
  return OpenStorage(RepoUrl(), options, &retrying_);
}

Result<Secret> Context::Password() const {
  if (args_.Has("password-file")) {
    auto text = ReadWholeFile(args_.Get("password-file"));
    if (!text.ok()) return InvalidArgument("--password-file: " + text.status().message());
    return Secret(Trim(std::move(*text)));
  }
  if (args_.Has("password-command")) {
    LB_ASSIGN_OR_RETURN(std::string out, RunCommandOutput(args_.Get("password-command")));
    return Secret(Trim(std::move(out)));
  }
  if (const char* p = std::getenv("LIFEBOAT_PASSWORD")) return Secret(p);
  if (const char* f = std::getenv("LIFEBOAT_PASSWORD_FILE")) {
    auto text = ReadWholeFile(f);
    if (!text.ok()) return InvalidArgument("LIFEBOAT_PASSWORD_FILE: " + text.status().message());
    return Secret(Trim(std::move(*text)));
  }
  if (const char* c = std::getenv("LIFEBOAT_PASSWORD_COMMAND")) {
    LB_ASSIGN_OR_RETURN(std::string out, RunCommandOutput(c));
    return Secret(Trim(std::move(out)));
  }
  return PromptPassword("enter password for repository: ");
}

Result<Repository*> Context::Open(LockMode lock) {
  LB_ASSIGN_OR_RETURN(auto storage, OpenRepoStorage());
  LB_ASSIGN_OR_RETURN(Secret password, Password());
  lock_.reset();  // a lock on a repository opened before goes first
  LB_ASSIGN_OR_RETURN(repo_, Repository::Open(std::move(storage), password));
  if (!args_.Has("no-cache"))
    repo_->EnableCache(args_.Has("cache-dir") ? args_.Get("cache-dir") : DefaultCacheRoot());
  LB_RETURN_IF_ERROR(Lock(lock));
  return repo_.get();
}

Status Context::Lock(LockMode lock) {
  if (lock != LockMode::kNone && !args_.Has("no-lock")) {
    // --retry-lock: wait for a conflicting lock to go away (restic 0.16's flag).
    int64_t wait_ms = 0;
    if (args_.Has("retry-lock")) {
      std::string v = args_.Get("retry-lock");
      auto secs = ParseDuration(v);
      if (!secs) return InvalidArgument("--retry-lock: want a duration like 30s, 10m or 1h, not \"" + v + "\"");
      wait_ms = static_cast<int64_t>(*secs * 1000);
    }
    auto acquired = RepoLock::AcquireWithRetry(*repo_, lock == LockMode::kExclusive, wait_ms, [&](const Status& held) {
      if (!quiet()) std::fprintf(stderr, "%s; waiting up to %s for it\n", held.message().c_str(), args_.Get("retry-lock").c_str());
    });
    if (!acquired.ok()) return acquired.status();
    lock_ = std::move(*acquired);
  }
  return Status::Ok();
}

SnapshotFilter Context::Filter() const {
  return SnapshotFilter{args_.All("host"), args_.All("tag"), args_.All("path")};
}

Result<Snapshot> Context::OpenSnapshot(const std::string& name) {
  LB_ASSIGN_OR_RETURN(Repository * repo, Open(LockMode::kShared));
  LB_ASSIGN_OR_RETURN(Snapshot snap, FindSnapshot(*repo, name, Filter()));
  LB_RETURN_IF_ERROR(repo->LoadIndex());
  return snap;
}

void Context::PrintError(const Status& s) const {
  std::string m = s.message();
  for (char& c : m) {
    if (c == '\n') c = ' ';
  }
  if (json()) {
    nlohmann::json j{{"message_type", "error"}, {"code", std::string(CodeName(s.code()))},
                     {"message", m}, {"exit_code", ExitCodeFor(s)}};
    std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fprintf(stderr, "lifeboat: %s\n", m.c_str());
  }
}

void StderrWarnings::Warn(const std::string& message) {
  if (json_) {
    nlohmann::json j{{"message_type", "warning"}, {"message", message}};
    std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    // On a terminal, clear the progress line first.
    std::fprintf(stderr, "%swarning: %s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", message.c_str());
  }
}

ProgressPrinter::ProgressPrinter(ProgressCounters* counters, bool json, bool quiet, std::string verb)
    : counters_(counters), json_(json), tty_(isatty(STDERR_FILENO) != 0), verb_(std::move(verb)),
      start_(NowSeconds()) {
  if (quiet || (!json_ && !tty_)) return;
  thread_ = std::thread([this] { Loop(); });
}

ProgressPrinter::~ProgressPrinter() { Stop(); }

void ProgressPrinter::Stop() {
  if (stop_.exchange(true)) return;
  if (thread_.joinable()) {
    thread_.join();
    if (!json_) std::fprintf(stderr, "\r\033[K");
  }
}

void ProgressPrinter::Loop() {
  int ticks = 0;
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ++ticks;
    // A bar redraws ten times a second; JSON status lines come once a second.
    if (!json_ || ticks % 10 == 0) PrintOnce(false);
  }
}

void ProgressPrinter::PrintOnce(bool) {
  double elapsed = NowSeconds() - start_;
  uint64_t files = counters_->files_done, bytes = counters_->bytes_done;
  uint64_t files_total = counters_->files_total, bytes_total = counters_->bytes_total;
  bool final_totals = counters_->totals_final;
  double rate = elapsed > 0 ? bytes / elapsed : 0;
  double fraction = bytes_total ? std::min(1.0, double(bytes) / double(bytes_total)) : 0;
  double eta = (final_totals && rate > 0 && bytes_total > bytes) ? (bytes_total - bytes) / rate : 0;
  if (json_) {
    nlohmann::json j{{"message_type", "status"},   {"seconds_elapsed", static_cast<int64_t>(elapsed)},
                     {"percent_done", fraction},   {"total_files", files_total},
                     {"files_done", files},        {"total_bytes", bytes_total},
                     {"bytes_done", bytes},        {"error_count", counters_->errors.load()}};
    if (final_totals && eta > 0) j["seconds_remaining"] = static_cast<int64_t>(eta);
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
    return;
  }
  char line[256];
  std::snprintf(line, sizeof line, "[%s] %5.1f%%  %s %llu/%llu files  %s/%s  %s/s%s%s",
                Clock(elapsed).c_str(), fraction * 100, verb_.c_str(),
                static_cast<unsigned long long>(files), static_cast<unsigned long long>(files_total),
                HumanBytes(bytes).c_str(), HumanBytes(bytes_total).c_str(), HumanBytes(uint64_t(rate)).c_str(),
                eta > 0 ? "  ETA " : "", eta > 0 ? Clock(eta).c_str() : "");
  std::fprintf(stderr, "\r\033[K%s", line);
  std::fflush(stderr);
}

void AddHookFlags(std::vector<FlagSpec>* flags) {
  flags->push_back(
      {"pre-hook", 0, true, "run CMD before the backup's consistent point (repeatable; no shell)", "CMD"});
  flags->push_back(
      {"post-hook", 0, true, "run CMD after it, also after a failure (repeatable; no shell)", "CMD"});
  flags->push_back({"hook-timeout", 0, true, "stop a hook that runs longer (default 5m)", "DURATION"});
}

Result<BackupSummary> RunBackupWithHooks(Context& ctx, Repository& repo, Source* src, const BackupOptions& opts,
                                         ProgressCounters* progress, WarningSink* warnings,
                                         const std::string& source) {
  const Args& a = ctx.args();
  double timeout = 300;
  if (a.Has("hook-timeout")) {
    auto secs = ParseDuration(a.Get("hook-timeout"));
    if (!secs || *secs <= 0)
      return InvalidArgument("--hook-timeout takes a duration (30s, 5m), not \"" + a.Get("hook-timeout") +
                             "\"");
    timeout = *secs;
  }
  for (const auto& cmd : a.All("pre-hook")) LB_RETURN_IF_ERROR(SplitCommandLine(cmd).status());
  for (const auto& cmd : a.All("post-hook")) LB_RETURN_IF_ERROR(SplitCommandLine(cmd).status());
  Status pre;
  for (const auto& cmd : a.All("pre-hook")) {
    HookRun run{"pre", source, "", "", ""};
    pre = RunHook(cmd, run, timeout);
    if (!pre.ok()) break;
  }
  Result<BackupSummary> result =
      !pre.ok() ? Result<BackupSummary>(pre)
      : src      ? RunBackup(repo, *src, opts, progress, warnings)
                 : RunBackup(repo, opts, progress, warnings);
  for (const auto& cmd : a.All("post-hook")) {
    HookRun run{"post", source, result.ok() ? "success" : "failure",
                result.ok() ? result->snapshot_id.Hex() : "", result.ok() ? "" : result.status().message()};
    Status s = RunHook(cmd, run, timeout);
    if (s.ok()) continue;
    if (result.ok()) {
      ctx.DeferError(s);
    } else {
      std::fprintf(stderr, "lifeboat: %s\n", s.message().c_str());
    }
  }
  return result;
}

}  // namespace lifeboat::cli

namespace lifeboat::cli {

Result<Snapshot> OpenDatabaseSnapshot(Context& ctx, const std::string& name, const Driver* driver) {
  if (name != "latest") return ctx.OpenSnapshot(name);
  LB_ASSIGN_OR_RETURN(Repository * repo, ctx.Open(Context::LockMode::kShared));
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo->LoadAllSnapshots());
  SnapshotFilter f = ctx.Filter();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const Driver* made_by = DriverForSnapshot(*it);
    bool kind = driver ? made_by == driver : made_by != nullptr;
    if (kind && f.Matches(*it)) {
      LB_RETURN_IF_ERROR(repo->LoadIndex());
      return *it;
    }
  }
  return NotFound("no " + (driver ? driver->name + " snapshot" : std::string("database snapshot")) +
                  (f.empty() ? "" : " matches the filter"));
}

}  // namespace lifeboat::cli

namespace lifeboat::cli {

void PrintReport(Context& ctx, const char* message_type, const Snapshot& snapshot, const Report& report) {
  if (ctx.json()) {
    nlohmann::json j{{"message_type", message_type}, {"snapshot_id", snapshot.id.Hex()}};
    // A file snapshot's test has lines only (no driver JSON).
    if (!report.json.empty()) j.update(nlohmann::json::parse(report.json, nullptr, false));
    if (report.json.empty()) j["lines"] = report.lines;
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    for (const auto& line : report.lines) std::printf("%s\n", line.c_str());
  }
}

std::string ConfigPath(const Args& args) {
  if (args.Has("config")) return args.Get("config");
  if (const char* env = std::getenv("LIFEBOAT_CONFIG")) return env;
  return "/etc/lifeboat/lifeboat.yml";
}

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  buf[n] = '\0';
  return buf;
}

Status WriteWhole(const std::string& path, const std::string& text, const std::string& what) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "we");
  if (f == nullptr) return ErrnoStatus(what + " " + tmp, errno);
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return ErrnoStatus(what + " " + path, err);
  }
  return Status::Ok();
}

}  // namespace lifeboat::cli
