// Subprocess: runs a program (pg_dump, pg_restore, initdb, ...) without a
// shell, with an environment of our choosing (secrets travel there, never in
// argv), its standard input or output connected to a pipe of ours, and the
// tail of its standard error kept for the error message.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace lifeboat {

struct SubprocessOptions {
  std::vector<std::string> argv;              // argv[0] is the program's path
  std::map<std::string, std::string> setenv;  // added to (or replacing in) our environment
  std::vector<std::string> unsetenv;          // removed from the child's environment
  enum class Io { kInherit, kNull, kPipe };
  Io stdin_mode = Io::kNull;
  Io stdout_mode = Io::kInherit;
  int stdout_fd = -1;  // if >= 0: the child's stdout goes there (overrides stdout_mode)
  int stdin_fd = -1;   // if >= 0: the child's stdin comes from there
  std::optional<uid_t> uid;  // run as this user (we must be root)
  std::optional<gid_t> gid;
  std::string cwd;
  // If >= 0: what the child writes to stderr is also copied there, as it
  // comes (the tail is kept either way).
  int stderr_copy_fd = -1;
  // The child leads a process group of its own, so that Signal reaches the
  // programs it starts too (a job attempt's pg_dump).
  bool new_process_group = false;
};

// The path of program `name` in $PATH ("" if none is executable); a name
// with a slash is returned as it is.
std::string FindInPath(const std::string& name);

// Runs argv[0] with the arguments (no shell, stdin from /dev/null) and
// returns what it wrote to stdout (at most `limit` bytes kept); an error
// if it could not start or did not exit 0. For version probes (`pg_dump
// --version`).
Result<std::string> RunForOutput(const std::vector<std::string>& argv, size_t limit = 64 << 10);

// Sends `sig` to every child a Subprocess started that is not reaped yet,
// and waits up to `wait_seconds` for them to exit; returns how many there
// were. For an interrupt's cleanup: a child restoring into a scratch
// directory must stop before the directory is removed.
int StopAllChildren(int sig, double wait_seconds);

class Subprocess {
 public:
  // Starts the program. kNotFound if it does not exist or is not executable.
  static Result<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);
  ~Subprocess();  // kills and reaps a child still running

  // Our ends of the pipes (-1 unless kPipe). The caller may close them early
  // with CloseStdin/CloseStdout.
  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  void CloseStdin();
  void CloseStdout();
  // Hands our end of the stdout pipe to the caller, who closes it.
  int ReleaseStdout() {
    int fd = stdout_fd_;
    stdout_fd_ = -1;
    return fd;
  }

  // Waits for the child. Ok if it exited 0; otherwise an IoError naming the
  // program, its exit status (or signal) and the last line(s) of its stderr.
  Status Wait();
  // Sends SIGTERM (then reaps in Wait or the destructor).
  void Terminate();
  // Sends `sig` to the child, or to its process group if it leads one.
  void Signal(int sig);
  // SIGKILL to what is left of the child's process group, also after Wait
  // (programs it started that outlived it). No-op without a group.
  void KillGroup();
  pid_t pid() const { return pid_; }
  // The last few KiB the child wrote to stderr (valid after Wait).
  std::string stderr_tail() const;

 private:
  Subprocess() = default;
  struct StderrReader;
  std::string name_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1, stdout_fd_ = -1;
  std::unique_ptr<StderrReader> stderr_;
  bool waited_ = false;
  bool group_ = false;
  Status result_;
};

// A descriptor reading `data` from its start (an anonymous memory file).
Result<int> FdFromString(std::string_view data);

}  // namespace lifeboat
