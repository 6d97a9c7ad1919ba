#include "jobs/hooks.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "base/bytes.h"
#include "env/process.h"

namespace lifeboat {
namespace {

// argv[0] as execve wants it: a path, found in $PATH for a bare name.
std::string ResolveProgram(const std::string& name) {
  std::string found = FindInPath(name);
  return found.empty() ? name : found;  // Start reports it as not found
}

}  // namespace

Result<std::vector<std::string>> SplitCommandLine(std::string_view line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        cur += c;
      continue;
    }
    if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        cur += line[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
    } else {
      cur += c;
    }
  }
  if (quote)
    return InvalidArgument("hook command has an unclosed " + std::string(1, quote) + ": " +
                           std::string(line));
  if (in_word) words.push_back(std::move(cur));
  if (words.empty()) return InvalidArgument("hook command is empty");
  return words;
}

Status RunWithTimeout(const SubprocessOptions& options, double timeout_seconds, const std::string& what) {
  auto proc = Subprocess::Start(options);
  if (!proc.ok()) return IoError(what + ": " + proc.status().message());
  // The watchdog: terminate the command at its deadline.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false, timed_out = false;
  const pid_t pid = (*proc)->pid();
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mu);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    if (!cv.wait_until(lock, deadline, [&] { return done; })) {
      timed_out = true;
      kill(pid, SIGTERM);  // not yet reaped: Wait has not returned (done is false)
    }
  });
  Status s = (*proc)->Wait();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  watchdog.join();
  if (timed_out)
    return IoError(what + " timed out after " + HumanDuration(timeout_seconds) + " and was terminated");
  if (!s.ok()) return IoError(what + " failed: " + s.message());
  return Status::Ok();
}

Status RunHook(const std::string& command, const HookRun& run, double timeout_seconds) {
  const std::string what = run.phase + "-hook \"" + command + "\"";
  LB_ASSIGN_OR_RETURN(std::vector<std::string> argv, SplitCommandLine(command));
  SubprocessOptions o;
  argv[0] = ResolveProgram(argv[0]);
  o.argv = argv;
  o.stdout_fd = STDERR_FILENO;
  o.setenv = {{"LIFEBOAT_HOOK", run.phase}, {"LIFEBOAT_SOURCE", run.source}};
  if (run.phase == "post") {
    o.setenv["LIFEBOAT_RESULT"] = run.result;
    if (!run.snapshot_id.empty()) o.setenv["LIFEBOAT_SNAPSHOT_ID"] = run.snapshot_id;
    if (!run.error.empty()) o.setenv["LIFEBOAT_ERROR"] = run.error;
  }
  o.unsetenv = {"LIFEBOAT_PASSWORD", "LIFEBOAT_FROM_PASSWORD", "REDISCLI_AUTH",
                "PGPASSWORD",        "AWS_SECRET_ACCESS_KEY",  "AWS_SESSION_TOKEN"};
  return RunWithTimeout(o, timeout_seconds, what);
}

}  // namespace lifeboat
