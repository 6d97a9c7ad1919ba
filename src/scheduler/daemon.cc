#include "scheduler/daemon.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

#include "base/bytes.h"
#include "base/timefmt.h"
#include "jobs/attempt.h"

namespace lifeboat {
namespace {

double SecondsBetween(Timestamp from, Timestamp to) {
  return double(to.sec - from.sec) + double(to.nsec - from.nsec) / 1e9;
}

constexpr double kExpireEverySeconds = 3600;
constexpr double kLongestWaitSeconds = 3600;  // a look at the wall clock at least this often

}  // namespace

std::vector<PlannedJob> Daemon::Plan(const Config& config) {
  std::vector<PlannedJob> jobs;
  for (const ScheduledJob& j : config.jobs) {
    jobs.push_back(PlannedJob{j.name, j.repository, j.schedule, /*exclusive=*/j.kind == "prune"});
  }
  return jobs;
}

Result<std::unique_ptr<Daemon>> Daemon::Open(Config config, DaemonOptions options) {
  if (options.clock == nullptr) options.clock = Clock::System();
  if (mkdir(config.state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("state_dir " + config.state_dir + ": " + std::strerror(errno));
  }
  auto history = RunHistory::Open(config.HistoryPath());
  if (!history.ok()) return history.status();
  return std::unique_ptr<Daemon>(new Daemon(std::move(config), std::move(options), std::move(*history)));
}

Daemon::Daemon(Config config, DaemonOptions options, std::unique_ptr<RunHistory> history)
    : startup_config_(config),
      options_(std::move(options)),
      clock_(options_.clock),
      history_(std::move(history)),
      cancel_(clock_),
      config_(std::make_shared<const Config>(std::move(config))),
      planner_({}, Limits{}, MissedRule::kSkip, Timestamp{}, {}) {
  std::map<std::string, Timestamp> last_started;
  for (const ScheduledJob& j : config_->jobs) {
    metrics_.AddJob(j);
    auto last = history_->List(j.name, 1);
    if (last.ok() && !last->empty()) last_started[j.name] = last->front().start;
  }
  if (Status s = metrics_.Load(*history_); !s.ok()) Log("metrics from the history: " + s.message());
  planner_ =
      Planner(Plan(*config_), config_->serve.limits, config_->serve.missed, clock_->Now(), last_started);
}

Daemon::~Daemon() {
  Shutdown("lifeboat serve is shutting down");
  std::unique_lock<std::mutex> lock(mu_);
  cancel_.Cancel(stop_why_);
  for (auto& [name, r] : running_) {
    if (!r.thread.joinable()) continue;
    std::thread t = std::move(r.thread);
    lock.unlock();
    t.join();
    lock.lock();
  }
}

void Daemon::Log(const std::string& line) {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "lifeboat serve: %s\n", line.c_str());
  }
}

void Daemon::Emit(const JobEvent& e) {
  if (options_.on_event) options_.on_event(e);
}

void Daemon::StartLocked(const std::string& name, const std::string& trigger) {
  const ScheduledJob* job = config_->FindJob(name);
  if (job == nullptr) {  // removed by a reload while it waited
    planner_.Finished(name);
    return;
  }
  metrics_.Started(name);
  Log("job " + name + ": started (" + trigger + ")");
  Running& r = running_[name];
  if (r.thread.joinable()) r.thread.join();  // its last run, done: the planner let this one start
  r.done = false;
  r.run_id = 0;
  r.thread = std::thread(&Daemon::RunThread, this, *job, trigger);
}

void Daemon::RunThread(ScheduledJob job, std::string trigger) {
  AttemptCommand command = options_.command(job);
  RunnerOptions ro{clock_, history_.get(), options_.kill_grace_seconds};
  JobRun run = RunJob(job, trigger, command, ro, &cancel_, [this, &job](const RunRecord& rec) {
    std::lock_guard<std::mutex> lock(mu_);
    running_[job.name].run_id = rec.id;
    started_[job.name] = rec.id;
    started_cv_.notify_all();
  });
  const RunRecord& rec = run.record;
  metrics_.Finished(rec);
  std::string line = "job " + job.name + ": " + rec.result;
  if (!rec.snapshot_id.empty() && job.kind == "verify") {
    line += ", snapshot " + rec.snapshot_id.substr(0, 8) + " tested";
  } else if (!rec.snapshot_id.empty()) {
    line += ", snapshot " + rec.snapshot_id.substr(0, 8) + ", " + HumanBytes(rec.bytes_added) + " added";
  }
  if (job.kind == "archive") {
    auto details = AttemptResult::FromJson(rec.details);
    if (details.ok() && !details->archived_last.empty()) {
      line +=
          ", last archived " + details->archived_last + " at " + FormatRfc3339(details->archived_last_time);
    }
  }
  line += " in " + HumanDuration(rec.duration_seconds());
  if (!rec.error.empty()) line += ": " + rec.error;
  Log(line);
  {
    std::lock_guard<std::mutex> lock(mu_);
    planner_.Finished(job.name);
    auto it = running_.find(job.name);
    if (it != running_.end()) it->second.done = true;
  }
  // Told once the job may run again (the API then shows it ended).
  JobEvent e;
  e.kind = rec.result == "success" ? "success" : "failure";
  e.job = job.name;
  e.type = job.type;
  e.run = rec;
  e.error = rec.error;
  e.at = rec.end;
  Emit(e);
  clock_->Wake();
}

void Daemon::JoinDoneLocked() {
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second.done && it->second.thread.joinable()) {
      it->second.thread.join();  // it has left the lock behind: only the return remains
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

void Daemon::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  looping_ = true;
  for (const std::string& name : planner_.missed()) {
    metrics_.Missed(name);
    const ScheduledJob* job = config_->FindJob(name);
    JobEvent e;
    e.kind = "missed";
    e.job = name;
    e.type = job ? job->type : "";
    e.at = clock_->Now();
    const bool runs = planner_.queued(name);
    e.error = std::string("its schedule fired while lifeboat serve was down") +
              (runs ? "; it runs now" : "; skipped (missed_runs: skip)");
    Log("job " + name + ": " + e.error);
    if (runs) trigger_of_[name] = "missed";
    Emit(e);
  }
  while (!stopping_) {
    JoinDoneLocked();
    // The monotonic time first: a clock that moves between the two readings
    // makes the wait below end early, never late.
    const double mono = clock_->Monotonic();
    const Timestamp now = clock_->Now();
    std::vector<std::string> skipped;
    for (const std::string& name : planner_.Tick(now, &skipped)) trigger_of_.emplace(name, "schedule");
    for (const std::string& name : skipped) {
      metrics_.Missed(name);
      const ScheduledJob* job = config_->FindJob(name);
      JobEvent e{"missed", name, job ? job->type : "", {}, "", now};
      e.error = std::string("a scheduled run was skipped: the job was still ") +
                (planner_.running(name) ? "running" : "waiting to run");
      Log("job " + name + ": " + e.error);
      Emit(e);
    }
    for (const std::string& name : planner_.Start()) {
      auto t = trigger_of_.find(name);
      std::string trigger = t == trigger_of_.end() ? "schedule" : t->second;
      if (t != trigger_of_.end()) trigger_of_.erase(t);
      StartLocked(name, trigger);
    }
    for (const ScheduledJob& j : config_->jobs) metrics_.SetNextRun(j.name, planner_.NextRun(j.name));
    if (clock_->Monotonic() >= next_expire_) {
      Timestamp before{now.sec - static_cast<int64_t>(config_->serve.history_keep_seconds), now.nsec};
      auto n = history_->Expire(before);
      if (!n.ok()) Log("run history: " + n.status().message());
      next_expire_ = clock_->Monotonic() + kExpireEverySeconds;
    }
    double wait = kLongestWaitSeconds;
    if (auto at = planner_.NextWake(now)) wait = std::min(wait, std::max(0.0, SecondsBetween(now, *at)));
    const uint64_t gen = clock_->Generation();
    lock.unlock();
    clock_->WaitUntil(mono + wait, gen);
    lock.lock();
  }

  // Shutting down: nothing new starts; the running jobs have the grace
  // period, then they are cancelled.
  trigger_of_.clear();
  const double grace_end = clock_->Monotonic() + config_->serve.shutdown_grace_seconds;
  auto busy = [this] {
    return std::any_of(running_.begin(), running_.end(), [](const auto& r) { return !r.second.done; });
  };
  if (busy()) {
    Log("shutting down: waiting up to " + HumanDuration(config_->serve.shutdown_grace_seconds) +
        " for the running jobs");
  }
  while (busy()) {
    if (hurry_ || clock_->Monotonic() >= grace_end) {
      Log(hurry_ ? "shutting down: asked again, cancelling the running jobs now"
                 : "shutting down: the grace period is over, cancelling the running jobs");
      cancel_.Cancel(stop_why_);
      break;
    }
    const uint64_t gen = clock_->Generation();
    lock.unlock();
    clock_->WaitUntil(grace_end, gen);
    lock.lock();
  }
  for (auto& [name, r] : running_) {
    if (!r.thread.joinable()) continue;
    std::thread t = std::move(r.thread);
    lock.unlock();
    t.join();
    lock.lock();
  }
  running_.clear();
  looping_ = false;
}

void Daemon::Shutdown(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      hurry_ = true;  // asked again: no more grace
    } else {
      stopping_ = true;
      stop_why_ = why;
      started_cv_.notify_all();
    }
  }
  clock_->Wake();
}

std::vector<std::string> Daemon::Reload(Config config) {
  std::vector<std::string> warnings;
  if (config.listen != startup_config_.listen) {
    warnings.push_back("listen changes at the next start; still " + startup_config_.listen);
    config.listen = startup_config_.listen;
  }
  if (config.state_dir != startup_config_.state_dir) {
    warnings.push_back("state_dir changes at the next start; still " + startup_config_.state_dir);
    config.state_dir = startup_config_.state_dir;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> names;
    for (const ScheduledJob& j : config.jobs) names.insert(j.name);
    metrics_.RetainJobs(names);
    for (const ScheduledJob& j : config.jobs) metrics_.AddJob(j);
    planner_.Reconfigure(Plan(config), config.serve.limits, clock_->Now());
    config_ = std::make_shared<const Config>(std::move(config));
    for (auto it = trigger_of_.begin(); it != trigger_of_.end();) {
      it = config_->FindJob(it->first) ? std::next(it) : trigger_of_.erase(it);
    }
  }
  clock_->Wake();
  return warnings;
}

Daemon::Triggered Daemon::Trigger(const std::string& job, double wait_seconds) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return {TriggerResult::kStopping};
  if (config_->FindJob(job) == nullptr) return {TriggerResult::kUnknown};
  if (!planner_.Trigger(job)) return {TriggerResult::kBusy};
  trigger_of_[job] = "manual";
  started_.erase(job);
  clock_->Wake();
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  started_cv_.wait_until(lock, until, [&] { return stopping_ || started_.count(job) > 0; });
  auto it = started_.find(job);
  if (it == started_.end()) return {TriggerResult::kQueued};
  Triggered t{TriggerResult::kStarted, it->second};
  started_.erase(it);
  return t;
}

std::string Daemon::Metrics() { return metrics_.Render(clock_->Now()); }

void Daemon::Jobs(const std::function<void(const std::vector<JobStatus>&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<const Config> config = config_;
  std::vector<JobStatus> out;
  for (const ScheduledJob& j : config->jobs) {
    JobStatus s;
    s.job = &j;
    s.next_run = planner_.NextRun(j.name);
    s.running = planner_.running(j.name);
    s.queued = planner_.queued(j.name);
    if (auto last = history_->List(j.name, 1); last.ok() && !last->empty()) s.last_run = last->front();
    if (auto ok = history_->Last(j.name, "success"); ok.ok()) s.last_success = *ok;
    out.push_back(std::move(s));
  }
  fn(out);
}

Result<std::vector<RunRecord>> Daemon::Runs(const std::string& job, size_t limit) {
  return history_->List(job, limit);
}

bool Daemon::ready() {
  std::lock_guard<std::mutex> lock(mu_);
  return looping_ && !stopping_;
}

}  // namespace lifeboat
