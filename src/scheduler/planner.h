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
//     missed-run rule is kSkip.
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

  // Queues the jobs due at `now`. Returns the names newly queued.
  std::vector<std::string> Tick(Timestamp now);
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
  // Names the missed-run rule queued at construction.
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
