// App-consistent hooks: a command before a backup's consistent point starts
// (flush and freeze an application, take it out of a load balancer) and one
// after it ends, also after a failure (thaw it). No shell: the command line
// is split into words (quotes and backslashes as a shell would, nothing
// expanded); write `sh -c '...'` to have one. Each runs with a timeout, its
// output on our stderr (so --json output stays clean), and these variables:
//   LIFEBOAT_HOOK         pre or post
//   LIFEBOAT_SOURCE       what is backed up: a path list, postgres://, redis://
//   LIFEBOAT_RESULT       post: success or failure
//   LIFEBOAT_SNAPSHOT_ID  post, after success: the new snapshot
//   LIFEBOAT_ERROR        post, after failure: the one-line error
// Passwords lifeboat holds (LIFEBOAT_PASSWORD, REDISCLI_AUTH, ...) are
// removed from the hook's environment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "env/process.h"

namespace lifeboat {

// Words of a command line; kInvalidArgument for an unclosed quote or an
// empty command.
Result<std::vector<std::string>> SplitCommandLine(std::string_view line);

struct HookRun {
  std::string phase;  // "pre" or "post"
  std::string source;
  std::string result;  // post only
  std::string snapshot_id;
  std::string error;
};

// Runs `options.argv` and waits up to `timeout_seconds`, then terminates
// it. kIoError starting with `what`: the exit status and stderr's last
// line, or the timeout. Hooks, the DR plan's switch commands and health
// commands run through it.
Status RunWithTimeout(const SubprocessOptions& options, double timeout_seconds, const std::string& what);

// Runs `command` and waits up to `timeout_seconds`, then terminates it.
// kIoError naming the hook, the command's program and the cause (exit
// status and stderr's last line, or the timeout).
Status RunHook(const std::string& command, const HookRun& run, double timeout_seconds);

}  // namespace lifeboat
