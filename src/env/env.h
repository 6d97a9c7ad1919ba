// Env: the operating-system facts lifeboat asks about, in one place so that
// tests can see what is asked (host and user names, ids, processes).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/secret.h"
#include "base/status.h"

namespace lifeboat {

std::string HostName();
std::string CurrentUserName();
// Name of a uid/gid, or "" if it has none. Cached; thread-safe.
std::string UserName(uid_t uid);
std::string GroupName(gid_t gid);
// True if a process with this pid exists on this machine.
bool ProcessAlive(pid_t pid);
// A name for a running process that no later process shares, even with its
// pid reused or after a reboot: "BOOT_ID:PID:START_TICKS". "" if there is
// no such process.
std::string ProcessIdentity(pid_t pid);
// True if `identity` (from ProcessIdentity) names a process still running.
bool ProcessIdentityAlive(const std::string& identity);

// Writes all of `data` to `fd` (looping over short writes and EINTR);
// errors name `what`.
Status WriteAll(int fd, std::string_view data, const std::string& what);

// Reads a whole regular file.
Result<std::string> ReadWholeFile(const std::string& path);

// Runs `command` through /bin/sh and returns its standard output. The
// command's own stderr passes through. Non-zero exit is an error.
Result<std::string> RunCommandOutput(const std::string& command);

// Reads a password from the terminal without echo. kInvalidArgument if there
// is no terminal.
Result<Secret> PromptPassword(const std::string& prompt);

}  // namespace lifeboat
