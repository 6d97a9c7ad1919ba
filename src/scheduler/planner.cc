#include "scheduler/planner.h"

#include <algorithm>

namespace lifeboat {

Planner::Planner(std::vector<PlannedJob> jobs, Limits limits, MissedRule missed, Timestamp now,
                 const std::map<std::string, Timestamp>& last_started)
    : jobs_(std::move(jobs)), limits_(limits) {
  if (limits_.global == 0) limits_.global = 1;
  if (limits_.per_repository == 0) limits_.per_repository = 1;
  for (const PlannedJob& j : jobs_) {
    if (auto n = j.schedule.Next(now)) next_[j.name] = *n;
    auto last = last_started.find(j.name);
    if (last == last_started.end()) continue;
    // Fired while we were down: a fire time after the last start, up to now.
    std::optional<Timestamp> fired = j.schedule.Previous(now);
    if (fired && last->second < *fired) {
      if (missed == MissedRule::kRunOnce) Queue(j.name);
      missed_.push_back(j.name);
    }
  }
}

const PlannedJob* Planner::Find(const std::string& name) const {
  for (const PlannedJob& j : jobs_) {
    if (j.name == name) return &j;
  }
  return nullptr;
}

bool Planner::queued(const std::string& name) const {
  return std::find(queue_.begin(), queue_.end(), name) != queue_.end();
}

void Planner::Queue(const std::string& name) {
  if (!running(name) && !queued(name)) queue_.push_back(name);
}

void Planner::Reconfigure(std::vector<PlannedJob> jobs, Limits limits, Timestamp now) {
  std::map<std::string, Timestamp> next;
  for (const PlannedJob& j : jobs) {
    const PlannedJob* old = Find(j.name);
    auto kept = next_.find(j.name);
    if (old && old->schedule.text() == j.schedule.text() && kept != next_.end()) {
      next[j.name] = kept->second;
    } else if (auto n = j.schedule.Next(now)) {
      next[j.name] = *n;
    }
  }
  jobs_ = std::move(jobs);
  limits_ = limits;
  if (limits_.global == 0) limits_.global = 1;
  if (limits_.per_repository == 0) limits_.per_repository = 1;
  next_ = std::move(next);
  std::erase_if(queue_, [this](const std::string& name) { return Find(name) == nullptr; });
}

std::vector<std::string> Planner::Tick(Timestamp now, std::vector<std::string>* skipped) {
  std::vector<std::string> added;
  for (const PlannedJob& j : jobs_) {  // the config's order among jobs due together
    auto it = next_.find(j.name);
    if (it == next_.end() || now < it->second) continue;
    // However many fire times passed, one run; the next is after now.
    if (auto n = j.schedule.Next(now)) {
      it->second = *n;
    } else {
      next_.erase(it);
    }
    if (running(j.name) || queued(j.name)) {  // never twice at once
      if (skipped) skipped->push_back(j.name);
      continue;
    }
    queue_.push_back(j.name);
    added.push_back(j.name);
  }
  return added;
}

bool Planner::Trigger(const std::string& name) {
  if (!Find(name) || running(name) || queued(name)) return false;
  queue_.push_back(name);
  return true;
}

bool Planner::CanStart(const PlannedJob& job) const {
  if (running_.size() >= limits_.global) return false;
  size_t on_repo = 0;
  for (const std::string& r : running_) {
    const PlannedJob* other = Find(r);
    if (other && other->repository == job.repository) {
      if (other->exclusive) return false;
      ++on_repo;
    }
  }
  if (job.exclusive) return on_repo == 0;
  return on_repo < limits_.per_repository;
}

std::vector<std::string> Planner::Start() {
  std::vector<std::string> started;
  std::set<std::string> waiting_repos;  // an exclusive job waits: nothing overtakes it there
  for (auto it = queue_.begin(); it != queue_.end();) {
    const PlannedJob* job = Find(*it);
    if (!job) {
      it = queue_.erase(it);
      continue;
    }
    if (waiting_repos.count(job->repository) == 0 && CanStart(*job)) {
      running_.insert(*it);
      started.push_back(*it);
      it = queue_.erase(it);
      continue;
    }
    if (job->exclusive) waiting_repos.insert(job->repository);
    ++it;
  }
  return started;
}

void Planner::Finished(const std::string& name) { running_.erase(name); }

std::optional<Timestamp> Planner::NextWake(Timestamp now) const {
  std::optional<Timestamp> best;
  for (const auto& [name, t] : next_) {
    Timestamp at = t < now ? now : t;
    if (!best || at < *best) best = at;
  }
  return best;
}

std::optional<Timestamp> Planner::NextRun(const std::string& name) const {
  auto it = next_.find(name);
  if (it == next_.end()) return std::nullopt;
  return it->second;
}

}  // namespace lifeboat
