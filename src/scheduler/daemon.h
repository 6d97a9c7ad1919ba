// The loop of `lifeboat serve`: the Planner's rules (scheduler/planner.h)
// on a Clock, each run through the job runner (jobs/runner.h) on a thread
// of its own, the run history, the metrics, and the events notifications
// are sent for. The HTTP API (server/) and the CLI drive it through the
// thread-safe calls below; a test drives it with a FakeClock and attempts
// that are small shell scripts.
//
//   Open     reads the history: the metrics of the last runs, the missed
//            runs of the downtime (run once, or skipped, by the config)
//   Run      the loop, until Shutdown: starts what is due, expires old
//            history, wakes at the next fire time or when told
//   Shutdown stops scheduling; the running jobs have the config's
//            shutdown_grace to end, then they are cancelled (SIGTERM to each
//            attempt's process group, which removes its locks); a second
//            Shutdown cancels them at once
//   Reload   a new config; running jobs finish under the old one
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "env/clock.h"
#include "jobs/history.h"
#include "jobs/runner.h"
#include "scheduler/config.h"
#include "scheduler/job_metrics.h"
#include "scheduler/planner.h"

namespace lifeboat {

// What notifications tell: a run ended, or a fire time was missed.
struct JobEvent {
  std::string kind;  // success, failure (failure, incomplete, cancelled), missed
  std::string job, type;
  RunRecord run;      // success, failure: the run as recorded
  std::string error;  // one line, no secrets
  Timestamp at;
};

struct DaemonOptions {
  Clock* clock = nullptr;
  // The child that runs one attempt of `job` (serve: this program's
  // `run JOB --config COPY --attempt`).
  std::function<AttemptCommand(const ScheduledJob& job)> command;
  // Told of every event, on the thread that saw it; must not block long
  // nor call the daemon.
  std::function<void(const JobEvent&)> on_event;
  // Told of what the loop has to say (a job started, the history failed).
  std::function<void(const std::string&)> log;
  double kill_grace_seconds = 30;
};

// One job as the API shows it.
struct JobStatus {
  const ScheduledJob* job = nullptr;  // valid while the caller holds the snapshot
  std::optional<Timestamp> next_run;
  bool running = false, queued = false;
  std::optional<RunRecord> last_run, last_success;
};

class Daemon {
 public:
  // Opens the history under config.state_dir (creating the directory).
  static Result<std::unique_ptr<Daemon>> Open(Config config, DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // The loop; returns after Shutdown once every run has ended.
  void Run();

  // From any thread.
  void Shutdown(const std::string& why);
  // Takes `config` for everything but listen and state_dir (a restart
  // changes those; the returned warnings say so).
  std::vector<std::string> Reload(Config config);

  enum class TriggerResult { kStarted, kQueued, kUnknown, kBusy, kStopping };
  struct Triggered {
    TriggerResult result;
    int64_t run_id = 0;  // kStarted: the run's id in the history
  };
  // Runs `job` now (as soon as the limits allow), waiting up to
  // `wait_seconds` of real time for the run to begin. kBusy: it is queued or
  // running already.
  Triggered Trigger(const std::string& job, double wait_seconds);

  std::string Metrics();
  // Each job of the config, in its order; `fn` runs under the daemon's lock.
  void Jobs(const std::function<void(const std::vector<JobStatus>&)>& fn);
  Result<std::vector<RunRecord>> Runs(const std::string& job, size_t limit);
  bool ready();

 private:
  Daemon(Config config, DaemonOptions options, std::unique_ptr<RunHistory> history);
  struct Running {
    std::thread thread;
    bool done = false;
    int64_t run_id = 0;
  };
  static std::vector<PlannedJob> Plan(const Config& config);
  void StartLocked(const std::string& name, const std::string& trigger);
  void RunThread(ScheduledJob job, std::string trigger);
  void JoinDoneLocked();
  void Emit(const JobEvent& e);
  void Log(const std::string& line);

  const Config startup_config_;
  DaemonOptions options_;
  Clock* clock_;
  std::unique_ptr<RunHistory> history_;
  JobMetrics metrics_;
  CancelFlag cancel_;

  std::mutex mu_;
  std::condition_variable started_cv_;
  std::shared_ptr<const Config> config_;
  Planner planner_;
  std::map<std::string, std::string> trigger_of_;  // queued job -> its trigger word
  std::map<std::string, Running> running_;
  std::map<std::string, int64_t> started_;  // a triggered job's run id, for Trigger
  bool stopping_ = false, looping_ = false;
  bool hurry_ = false;  // Shutdown again: cancel without waiting out the grace
  std::string stop_why_;
  double next_expire_ = 0;
};

}  // namespace lifeboat
