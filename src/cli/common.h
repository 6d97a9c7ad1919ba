// What every command shares: global flags, opening the repository, the
// password, output (text or --json), progress, and exit codes.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "cli/args.h"
#include "engine/progress.h"
#include "engine/select.h"
#include "repo/lock.h"
#include "repo/repository.h"
#include "source/registry.h"
#include "storage/retry_storage.h"

namespace lifeboat::cli {

// Exit codes (docs/exit-codes.md). Stable: scripts depend on them.
enum ExitCode {
  kExitOk = 0,
  kExitFatal = 1,
  kExitUsage = 2,
  kExitIncomplete = 3,   // finished, but some files could not be read/restored
  kExitDataError = 4,    // check found damage
  kExitNoRepository = 10,
  kExitLocked = 11,
  kExitWrongPassword = 12,
  kExitNotFound = 13,
  kExitNoSpace = 14,
  kExitAccessDenied = 15,  // a storage server refused the credentials or a permission
  kExitUnavailable = 16,   // the storage stayed unreachable through every retry
  kExitArchived = 17,      // data to read is in an archive tier (S3 Glacier): --cold-restore-days
};

int ExitCodeFor(const Status& status);

// The flags every command accepts.
const std::vector<FlagSpec>& GlobalFlags();

class Context {
 public:
  explicit Context(Args args) : args_(std::move(args)) {}

  const Args& args() const { return args_; }
  bool json() const { return args_.Has("json"); }
  bool quiet() const { return args_.Has("quiet"); }

  // The repository URL from -r/--repo or LIFEBOAT_REPOSITORY.
  std::string RepoUrl() const;
  // -o KEY=VALUE options, for the storage driver. kInvalidArgument if malformed.
  Result<StorageOptions> Options() const;
  // Opens the repository's storage with the options.
  Result<std::unique_ptr<Storage>> OpenRepoStorage();
  // Request counters of the opened storage, or nullptr.
  const StorageCounters* storage_counters() const { return retrying_ ? &retrying_->counters() : nullptr; }
  // The password from --password-file, LIFEBOAT_PASSWORD,
  // LIFEBOAT_PASSWORD_FILE, LIFEBOAT_PASSWORD_COMMAND, or the terminal.
  Result<Secret> Password() const;
  // Opens the repository; with lock, also takes a shared or exclusive lock.
  enum class LockMode { kNone, kShared, kExclusive };
  Result<Repository*> Open(LockMode lock);
  // Takes the lock after an Open(kNone) (key add prompts first, then locks).
  Status Lock(LockMode lock);
  // The snapshot filter from --host, --tag and --path.
  SnapshotFilter Filter() const;
  // Opens the repository (shared lock), finds the snapshot `name` ("latest"
  // or an id prefix) through Filter(), and loads the index.
  Result<Snapshot> OpenSnapshot(const std::string& name);
  // REQUIRES: a successful Open or OpenSnapshot.
  Repository& repo() { return *repo_; }

  // Prints an error line (to stderr, as one line).
  void PrintError(const Status& s) const;
  // An error found after the command's own work succeeded (a failing
  // post-hook): the command prints its summary, then main reports this and
  // exits with its code.
  void DeferError(Status s) { if (deferred_.ok()) deferred_ = std::move(s); }
  const Status& deferred() const { return deferred_; }

 private:
  Args args_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<RepoLock> lock_;
  RetryingStorage* retrying_ = nullptr;  // owned by repo_ once opened
  Status deferred_;
};

// Prints warnings on stderr and counts them.
class StderrWarnings : public WarningSink {
 public:
  explicit StderrWarnings(bool json) : json_(json) {}
  void Warn(const std::string& message) override;

 private:
  bool json_;
};

// Shows progress while alive: a one-line bar on a terminal, JSON status lines
// with --json, nothing when quiet or not on a terminal.
class ProgressPrinter {
 public:
  ProgressPrinter(ProgressCounters* counters, bool json, bool quiet, std::string verb);
  ~ProgressPrinter();
  void Stop();

 private:
  void Loop();
  void PrintOnce(bool final_line);

  ProgressCounters* counters_;
  bool json_;
  bool tty_;
  std::string verb_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  double start_;
};

// Adds the snapshot filter flags (--host, --tag, --path) to a spec list.
void AddFilterFlags(std::vector<FlagSpec>* flags);

// The flags as a driver sees them (source/registry.h).
class ArgsOptions final : public OptionView {
 public:
  explicit ArgsOptions(const Args& args) : args_(args) {}
  bool Has(const std::string& key) const override { return args_.Has(key); }
  std::string Get(const std::string& key, const std::string& fallback = "") const override {
    return args_.Get(key, fallback);
  }
  std::vector<std::string> All(const std::string& key) const override { return args_.All(key); }

 private:
  const Args& args_;
};

// Prints a driver's Report on `snapshot`: its lines, or with --json one
// object of message_type, the snapshot's id and the report's fields.
void PrintReport(Context& ctx, const char* message_type, const Snapshot& snapshot, const Report& report);

// The config file of run, runs and serve: --config, else $LIFEBOAT_CONFIG,
// else /etc/lifeboat/lifeboat.yml.
std::string ConfigPath(const Args& args);

// This program's path (/proc/self/exe), for the children that run attempts.
std::string SelfExe();

// Writes `text` to `path` whole: a temporary file beside it, renamed over.
// Errors start with `what` ("--output FILE: ...").
Status WriteWhole(const std::string& path, const std::string& text, const std::string& what = "--output");

}  // namespace lifeboat::cli
