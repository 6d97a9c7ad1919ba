// The command table. Each command lives in its own cmd_*.cc file: it parses
// its flags and calls the engine.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/common.h"
#include "engine/backup.h"
#include "engine/prune.h"

namespace lifeboat::cli {

struct Command {
  std::string name;
  std::string usage;    // "backup [flags] PATH..."
  std::string summary;  // one line
  std::vector<FlagSpec> flags;
  std::function<int(Context&)> run;
};

Command InitCommand();
Command BackupCommand();
Command SnapshotsCommand();
Command LsCommand();
Command RestoreCommand();
Command DumpCommand();
Command CheckCommand();
Command CatCommand();
Command KeyCommand();
Command StatsCommand();
Command UnlockCommand();
Command CopyCommand();
Command ForgetCommand();
Command PruneCommand();
Command RepairCommand();
Command VerifyCommand();
Command PgCommand();

// PostgreSQL forms of backup, restore and dump (cmd_postgres.cc).
int RunPgLogicalBackup(Context& ctx, BackupOptions opts, const std::string& url);
int RunRedisBackup(Context& ctx, BackupOptions opts, const std::string& url);
// restore --to redis://... or --data-dir DIR; dump and verify of a Redis snapshot.
int RunRedisRestore(Context& ctx, const std::string& snapshot);
int RunRedisDump(Context& ctx, const Snapshot& snapshot);
int RunRedisVerify(Context& ctx, const Snapshot& snapshot);
// "latest" as the newest Redis snapshot (redis_only) or the newest logical
// PostgreSQL or Redis one; an id otherwise.
Result<Snapshot> OpenDatabaseSnapshot(Context& ctx, const std::string& name, bool redis_only);
// RunBackup between the --pre-hook and --post-hook commands (jobs/hooks.h).
// A failing pre-hook: its error, no backup. A failing post-hook after a
// backup that succeeded: the summary, then the hook's error (DeferError).
Result<BackupSummary> RunBackupWithHooks(Context& ctx, Repository& repo, const BackupOptions& opts,
                                         ProgressCounters* progress, WarningSink* warnings, const std::string& source);
// The hook flags of every command that backs up.
void AddHookFlags(std::vector<FlagSpec>* flags);
int RunPgLogicalRestore(Context& ctx, const std::string& snapshot, const std::string& url);
int RunPgDump(Context& ctx, const Snapshot& snapshot);
// `name`, where "latest" means the newest logical PostgreSQL snapshot.
Result<Snapshot> OpenLogicalSnapshot(Context& ctx, const std::string& name);

// Prune, shared by prune and forget --prune.
Result<PruneOptions> PruneOptionsFromFlags(const Args& args);
int RunPruneWith(Context& ctx, Repository& repo, const PruneOptions& opts);
void AddPruneFlags(std::vector<FlagSpec>* flags);

// Opens the repository named by --from-repo / LIFEBOAT_FROM_REPOSITORY with the
// password from --from-password-file / LIFEBOAT_FROM_PASSWORD[_FILE] (copy, init).
Result<std::unique_ptr<Repository>> OpenSourceRepository(const Context& ctx, RetryingStorage** retrying);

// Prints `status` as the command's error and returns its exit code.
int Fail(const Context& ctx, const Status& status);

}  // namespace lifeboat::cli
