// What the daemon starts, and when: the rules of `lifeboat serve` without
// its threads, so that they are tested with plain timestamps.
//
//   - A job is due when its schedule fires; it is queued once however many
//     fire times pass while it waits, and never runs twice at once.
//   - Queued jobs start in the order they became due (then the config's
//     order), while fewer than `global` jobs run in all and fewer than
//     `per_repository` run against the job's repository. A job marked
//     exclusive (a prune) runs alone on its repository: it waits for the
//     repository's running jobs, and they wait for it.
//   - After downtime: a job whose schedule fired while the daemon was down
//     (after its last recorded start) runs once at start-up, unless the
//     missed-run rule is kSkip. Either way that run was missed, and so is a
//     fire time that passes while the job still runs or waits.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/timefmt.h"
#include "scheduler/schedule.h"

namespace lifeboat {

struct PlannedJob {
  std::string name;
  std::string repository;
  Schedule schedule;
  bool exclusive = false;  // alone on its repository (prune)
};

struct Limits {
  size_t global = 2;
  size_t per_repository = 1;
};

enum class MissedRule { kRunOnce, kSkip };

class Planner {
 public:
  // `last_started`: each job's last recorded start (the run history); a job
  // with none has never run and is not "missed".
  Planner(std::vector<PlannedJob> jobs, Limits limits, MissedRule missed, Timestamp now,
          const std::map<std::string, Timestamp>& last_started);

  // Queues the jobs due at `now`. Returns the names newly queued; adds to
  // `skipped` (if given) the jobs due that were still running or queued.
  std::vector<std::string> Tick(Timestamp now, std::vector<std::string>* skipped = nullptr);
  // A new config (SIGHUP): the new jobs and limits. A job whose schedule is
  // unchanged keeps its next fire time; running jobs stay running (a
  // removed one counts against the global limit until it ends); the queue
  // keeps the jobs that still exist. Nothing counts as missed.
  void Reconfigure(std::vector<PlannedJob> jobs, Limits limits, Timestamp now);
  // Queues a manual run; false if the job is unknown, queued or running
  // (the API answers 409).
  bool Trigger(const std::string& name);
  // Takes the queued jobs the limits allow to start now, marking them
  // running, in queue order.
  std::vector<std::string> Start();
  // A run ended.
  void Finished(const std::string& name);

  // The next fire time of any job after `now` (when the loop should wake).
  std::optional<Timestamp> NextWake(Timestamp now) const;
  std::optional<Timestamp> NextRun(const std::string& name) const;
  bool running(const std::string& name) const { return running_.count(name) > 0; }
  bool queued(const std::string& name) const;
  // The jobs whose schedule fired while the daemon was down (queued at
  // construction unless the rule is kSkip).
  const std::vector<std::string>& missed() const { return missed_; }

 private:
  const PlannedJob* Find(const std::string& name) const;
  bool CanStart(const PlannedJob& job) const;
  void Queue(const std::string& name);

  std::vector<PlannedJob> jobs_;
  Limits limits_;
  std::map<std::string, Timestamp> next_;  // each job's next fire time
  std::vector<std::string> queue_;
  std::set<std::string> running_;
  std::vector<std::string> missed_;
};

}  // namespace lifeboat
