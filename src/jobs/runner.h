// Runs a job to its end: each attempt in a child process, retried with
// backoff while the failure allows it, each attempt stopped at the job's
// timeout, all of it stopped by Cancel (a daemon shutting down), and the run
// recorded in the history. `lifeboat run` and `lifeboat serve` both run jobs
// through here.
//
// Why a child per attempt: the engine has no cancellation points, and a
// timeout must stop a backup that hangs on a dead server. A child can be
// stopped at any point: SIGTERM lets its handler remove the repository
// locks (env/signals.h) and its own children (pg_dump, in the same process
// group) end with it; SIGKILL after a grace period ends what does not.
// What it left is what an interrupted backup leaves: a valid repository.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "env/clock.h"
#include "jobs/attempt.h"
#include "jobs/history.h"
#include "jobs/spec.h"

namespace lifeboat {

// Set once, from any thread; wakes the runner's waits.
class CancelFlag {
 public:
  // `clock`, if given, is woken on Cancel (a runner waiting out a backoff).
  explicit CancelFlag(Clock* clock = nullptr);
  ~CancelFlag();
  CancelFlag(const CancelFlag&) = delete;
  CancelFlag& operator=(const CancelFlag&) = delete;

  // `why` becomes the run's error ("lifeboat serve is shutting down").
  void Cancel(const std::string& why);
  bool cancelled() const;
  std::string why() const;
  // Readable once cancelled (for poll).
  int fd() const { return fd_; }

 private:
  Clock* clock_;
  int fd_;
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::string why_;
};

// The child that runs one attempt: it prints the attempt's AttemptResult as
// JSON on the last line of its standard output.
struct AttemptCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  int stderr_copy_fd = -1;  // the child's stderr is copied there too (its warnings)
};

struct RunnerOptions {
  Clock* clock = nullptr;          // backoff waits and timeouts
  RunHistory* history = nullptr;   // may be null: the run is not recorded
  double kill_grace_seconds = 30;  // SIGTERM, then this long, then SIGKILL
};

struct JobRun {
  RunRecord record;    // as recorded: id (0 without history), result, error, ...
  AttemptResult last;  // what the last attempt reported
  int attempts = 0;
  int status_code = 0;  // base/status.h Code of the failure (0 for success)
};

// Runs `job`. `on_start` (may be empty) is told the record once the run is
// begun, before the first attempt (the API's 202 carries its id). Results:
// success, incomplete, failure (the error says why: the attempt's error,
// "timed out after 2h"), cancelled.
JobRun RunJob(const JobSpec& job, const std::string& trigger, const AttemptCommand& command,
              const RunnerOptions& options, CancelFlag* cancel,
              const std::function<void(const RunRecord&)>& on_start = {});

}  // namespace lifeboat
