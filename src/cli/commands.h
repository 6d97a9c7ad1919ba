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
Command DoctorCommand();
Command ReportCommand();
Command LifecycleCommand();
Command DrCommand();
Command PgCommand();
Command ConfigCommand();
Command RunCommand();
Command RunsCommand();
Command ServeCommand();

// PostgreSQL forms of backup, restore and dump (cmd_postgres.cc).
// "latest" as the newest snapshot a driver made (of `driver` if given; of
// any driver if null); an id otherwise.
Result<Snapshot> OpenDatabaseSnapshot(Context& ctx, const std::string& name, const Driver* driver);
// RunBackup (of `source`; of opts alone for --stdin when null) between the
// --pre-hook and --post-hook commands (jobs/hooks.h). A failing pre-hook:
// its error, no backup. A failing post-hook after a backup that succeeded:
// the summary, then the hook's error (DeferError).
Result<BackupSummary> RunBackupWithHooks(Context& ctx, Repository& repo, Source* source, const BackupOptions& opts,
                                         ProgressCounters* progress, WarningSink* warnings, const std::string& what);
// A backup of any Source, as every command that backs up runs it: the
// repository opened with a shared lock, the hooks, progress, and one
// summary (the engine's numbers and the source's report; text or JSON).
int RunSourceBackupCmd(Context& ctx, Source& source, BackupOptions opts, const std::string& verb);
// The hook flags of every command that backs up.
void AddHookFlags(std::vector<FlagSpec>* flags);

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
