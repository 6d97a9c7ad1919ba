// lifeboat: backup and disaster recovery in restic's repository format.
#include <malloc.h>
#include <signal.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "env/signals.h"
#include "repo/lock.h"
#include "source/all/all.h"

namespace lifeboat::cli {
namespace {

std::vector<Command> AllCommands() {
  return {InitCommand(),   BackupCommand(), SnapshotsCommand(), LsCommand(),        RestoreCommand(),
          DumpCommand(),   CheckCommand(),  CatCommand(),       KeyCommand(),       StatsCommand(),
          UnlockCommand(), CopyCommand(),   ForgetCommand(),    PruneCommand(),     RepairCommand(),
          VerifyCommand(), PgCommand(),     ConfigCommand(),    RunCommand(),       RunsCommand(),
          ServeCommand(),  DoctorCommand(), ReportCommand(),    LifecycleCommand(), DrCommand()};
}

void PrintUsage(const std::vector<Command>& commands) {
  std::printf(
      "lifeboat %s: backup and disaster recovery (restic repository format v2)\n\n"
      "Usage: lifeboat [global flags] COMMAND [flags] [args]\n\nCommands:\n",
      LIFEBOAT_VERSION);
  for (const auto& c : commands) std::printf("  %-11s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("  %-11s %s\n", "version", "print the version");
  std::printf("\nGlobal flags:\n%s", FlagHelp(GlobalFlags()).c_str());
  std::printf(
      "\nEnvironment: LIFEBOAT_REPOSITORY, LIFEBOAT_PASSWORD, LIFEBOAT_PASSWORD_FILE,\n"
      "LIFEBOAT_PASSWORD_COMMAND. Exit codes: docs/exit-codes.md.\n");
}

void PrintCommandHelp(const Command& c) {
  std::printf("Usage: lifeboat %s\n\n%s\n", c.usage.c_str(), c.summary.c_str());
  if (!c.flags.empty()) std::printf("\nFlags:\n%s", FlagHelp(c.flags).c_str());
  std::printf("\nGlobal flags:\n%s", FlagHelp(GlobalFlags()).c_str());
}

// Finds the command word: the first argument that is not a global flag or
// the value of one. -1 when there is none; sets *error for an unknown flag
// before it (its value would otherwise be taken for the command).
int FindCommand(const std::vector<std::string>& argv, std::string* error) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.empty() || a[0] != '-') return static_cast<int>(i);
    if (a == "--help" || a == "-h") continue;
    std::string name = a.size() > 2 && a[1] == '-' ? a.substr(2, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 2) : "";
    bool known = false;
    for (const auto& f : GlobalFlags()) {
      bool long_form = !name.empty() && name == f.name;
      bool short_form = f.short_name && a.size() >= 2 && a[1] == f.short_name;
      if (!long_form && !short_form) continue;
      known = true;
      bool inline_value = long_form ? a.find('=') != std::string::npos : a.size() > 2;
      if (f.takes_value && !inline_value) ++i;
    }
    if (!known) {
      *error = "unknown global flag " + a + " before the command (command flags go after it)";
      return -1;
    }
  }
  return -1;
}
}  // namespace

int Main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  // Ctrl-C, SIGTERM, SIGHUP: remove this process's locks, say so, exit
  // 130/143/129 (as restic 0.14 does; a killed backup leaves no snapshot and
  // the packs it wrote are adopted by the next one).
  InstallInterruptHandler([](int sig) {
    int released = ReleaseAllLocks();
    std::fprintf(stderr, "lifeboat: %s received, cleaning up: %d lock%s removed\n", strsignal(sig), released,
                 released == 1 ? "" : "s");
    _exit(128 + sig);
  });
  // One malloc arena: worker threads hand multi-MiB buffers to each other,
  // and per-thread arenas kept the freed ones (double the peak memory, no
  // speed gained; measured in docs/benchmarks.md).
  mallopt(M_ARENA_MAX, 1);
  std::vector<std::string> args(argv + 1, argv + argc);
  RegisterAllDrivers();
  auto commands = AllCommands();
  std::string flag_error;
  int at = FindCommand(args, &flag_error);
  if (!flag_error.empty()) {
    std::fprintf(stderr, "lifeboat: %s (see \"lifeboat --help\")\n", flag_error.c_str());
    return kExitUsage;
  }
  if (at < 0) {
    PrintUsage(commands);
    bool help = false;
    for (const auto& a : args) help = help || a == "--help" || a == "-h";
    return help || args.empty() ? kExitOk : kExitUsage;
  }
  std::string name = args[static_cast<size_t>(at)];
  if (name == "version") {
    std::printf("lifeboat %s\n", LIFEBOAT_VERSION);
    return kExitOk;
  }
  if (name == "help") {
    PrintUsage(commands);
    return kExitOk;
  }
  for (const auto& c : commands) {
    if (c.name != name) continue;
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.size(); ++i) {
      if (static_cast<int>(i) != at) rest.push_back(args[i]);
    }
    std::vector<FlagSpec> flags = GlobalFlags();
    flags.insert(flags.end(), c.flags.begin(), c.flags.end());
    auto parsed = ParseArgs(rest, flags);
    if (!parsed.ok()) {
      std::fprintf(stderr, "lifeboat %s: %s (see \"lifeboat %s --help\")\n", name.c_str(),
                   parsed.status().message().c_str(), name.c_str());
      return kExitUsage;
    }
    if (parsed->Has("help")) {
      PrintCommandHelp(c);
      return kExitOk;
    }
    Context ctx(std::move(*parsed));
    int rc = c.run(ctx);
    if (rc == kExitOk && !ctx.deferred().ok()) return Fail(ctx, ctx.deferred());
    return rc;
  }
  std::fprintf(stderr, "lifeboat: unknown command \"%s\" (see \"lifeboat --help\")\n", name.c_str());
  return kExitUsage;
}

int Fail(const Context& ctx, const Status& status) {
  ctx.PrintError(status);
  return ExitCodeFor(status);
}

}  // namespace lifeboat::cli

int main(int argc, char** argv) { return lifeboat::cli::Main(argc, argv); }
