#include "scheduler/job_metrics.h"

#include <algorithm>
#include <limits>

namespace lifeboat {
namespace {

double Seconds(Timestamp t) { return double(t.sec) + t.nsec / 1e9; }

}  // namespace

JobMetrics::JobMetrics() {
  using metrics::Type;
  auto define = [&](const char* name, Type type, const char* help, std::vector<std::string> labels,
                    std::vector<double> buckets = {}) {
    registry_.Define(name, type, help, std::move(labels), std::move(buckets)).IgnoreError();
  };
  define("backup_success", Type::kGauge, "1 if the last run of every job of this type succeeded, else 0",
         {"type"});
  define("backup_age_hours", Type::kGauge, "Hours since the newest successful snapshot of this type",
         {"type"});
  define("backup_total_size_bytes", Type::kGauge,
         "Stored size of the latest snapshot of each job of this type", {"type"});
  define("lifeboat_job_last_success_timestamp_seconds", Type::kGauge, "End of the job's last successful run",
         {"job"});
  define("lifeboat_job_last_run_timestamp_seconds", Type::kGauge, "End of the job's last run", {"job"});
  define("lifeboat_job_duration_seconds", Type::kHistogram, "How long the job's runs took", {"job"},
         {1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800});
  define("lifeboat_job_runs_total", Type::kCounter, "Runs of the job by result", {"job", "result"});
  define("lifeboat_job_bytes_added", Type::kGauge, "Bytes the job's last run added to its repository",
         {"job"});
  define("lifeboat_job_running", Type::kGauge, "1 while the job runs", {"job"});
  define("lifeboat_job_next_run_timestamp_seconds", Type::kGauge, "When the job's schedule fires next",
         {"job"});
  define("lifeboat_job_missed_runs_total", Type::kCounter,
         "Scheduled runs the job missed (the daemon was down, or its last run still ran)", {"job"});
  define("lifeboat_repository_size_bytes", Type::kGauge, "Bytes of blobs in the repository's packs",
         {"repository"});
  define("lifeboat_repository_snapshots", Type::kGauge, "Snapshots in the repository", {"repository"});
  define("lifeboat_copy_lag_seconds", Type::kGauge,
         "How long the copy has lacked a snapshot of a job of the source repository (0: none missing)",
         {"from", "to"});
  define("lifeboat_verify_success", Type::kGauge,
         "1 if the last restore test of the job's newest snapshot passed, else 0", {"job"});
  define("lifeboat_verify_duration_seconds", Type::kGauge,
         "How long the last restore test of the job's newest snapshot took", {"job"});
  define("lifeboat_verify_last_timestamp_seconds", Type::kGauge,
         "When the last restore test of the job's newest snapshot ended (passed or not)", {"job"});
  define("lifeboat_wal_archive_last_timestamp_seconds", Type::kGauge,
         "When the job's database last archived a WAL file into the repository", {"job"});
}

void JobMetrics::AddJob(const JobSpec& job) {
  std::lock_guard<std::mutex> lock(mu_);
  JobState& s = jobs_[job.name];
  s.type = job.type;
  s.kind = job.kind;
  s.backup = job.kind == "backup";
  s.for_job = job.for_job;
  s.repository = job.repository;
  s.copy_to = job.copy_to;
  registry_.Set("lifeboat_job_running", {job.name}, 0).IgnoreError();
  registry_.Add("lifeboat_job_missed_runs_total", {job.name}, 0).IgnoreError();
  for (const char* result : {"success", "failure"}) {
    registry_.Add("lifeboat_job_runs_total", {job.name, result}, 0).IgnoreError();
  }
}

void JobMetrics::RetainJobs(const std::set<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> repositories;
  for (const auto& [name, s] : jobs_) {
    if (names.count(name) > 0) repositories.insert(s.repository);
  }
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const std::string& name = it->first;
    const JobState& s = it->second;
    if (names.count(name) > 0) {
      ++it;
      continue;
    }
    registry_.RemoveWhere("job", name);
    if (s.kind == "verify") {
      registry_.Remove("lifeboat_verify_success", {s.for_job});
      registry_.Remove("lifeboat_verify_duration_seconds", {s.for_job});
      registry_.Remove("lifeboat_verify_last_timestamp_seconds", {s.for_job});
    }
    if (s.kind == "archive") {
      registry_.Remove("lifeboat_wal_archive_last_timestamp_seconds", {s.for_job});
    }
    if (!s.repository.empty() && repositories.count(s.repository) == 0) {
      registry_.RemoveWhere("repository", s.repository);
    }
    it = jobs_.erase(it);
  }
}

void JobMetrics::SetNextRun(const std::string& job, std::optional<Timestamp> next) {
  std::lock_guard<std::mutex> lock(mu_);
  if (next) {
    registry_.Set("lifeboat_job_next_run_timestamp_seconds", {job}, Seconds(*next)).IgnoreError();
  } else {
    registry_.Remove("lifeboat_job_next_run_timestamp_seconds", {job});
  }
}

void JobMetrics::Started(const std::string& job) {
  std::lock_guard<std::mutex> lock(mu_);
  registry_.Set("lifeboat_job_running", {job}, 1).IgnoreError();
}

void JobMetrics::Missed(const std::string& job) {
  std::lock_guard<std::mutex> lock(mu_);
  registry_.Add("lifeboat_job_missed_runs_total", {job}, 1).IgnoreError();
}

void JobMetrics::Finished(const RunRecord& run, bool count) {
  std::lock_guard<std::mutex> lock(mu_);
  JobState& s = jobs_[run.job];
  if (s.type.empty()) s.type = run.type;
  s.last_result = run.result;
  s.last_run_end = run.end;
  registry_.Set("lifeboat_job_running", {run.job}, 0).IgnoreError();
  registry_.Set("lifeboat_job_bytes_added", {run.job}, double(run.bytes_added)).IgnoreError();
  if (count) {
    registry_.Add("lifeboat_job_runs_total", {run.job, run.result}, 1).IgnoreError();
    registry_.Observe("lifeboat_job_duration_seconds", {run.job}, run.duration_seconds())
        .IgnoreError();
  }
  if (s.kind == "verify" && !s.for_job.empty()) {
    registry_.Set("lifeboat_verify_success", {s.for_job}, run.result == "success" ? 1 : 0).IgnoreError();
    registry_.Set("lifeboat_verify_duration_seconds", {s.for_job}, run.duration_seconds()).IgnoreError();
    registry_.Set("lifeboat_verify_last_timestamp_seconds", {s.for_job}, double(run.end.sec)).IgnoreError();
  }
  auto details = AttemptResult::FromJson(run.details);
  if (run.result == "success") s.last_success_end = run.end;
  if (!details.ok()) return;
  if (s.kind == "archive" && !s.for_job.empty() && details->archived_last_time.sec != 0) {
    registry_
        .Set("lifeboat_wal_archive_last_timestamp_seconds", {s.for_job}, Seconds(details->archived_last_time))
        .IgnoreError();
  }
  if (!details->snapshot_id.empty() && (run.result == "success" || run.result == "incomplete")) {
    s.last_snapshot_time = details->snapshot_time;
    s.snapshot_size = details->snapshot_size;
  }
  if (details->repository_snapshots > 0 && !s.repository.empty()) {
    registry_.Set("lifeboat_repository_size_bytes", {s.repository}, double(details->repository_size))
        .IgnoreError();
    registry_.Set("lifeboat_repository_snapshots", {s.repository}, double(details->repository_snapshots))
        .IgnoreError();
  }
  for (const CopyOutcome& c : details->copies) s.behind_since[c.to] = c.behind_since;
}

Status JobMetrics::Load(RunHistory& history) {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, state] : jobs_) names.push_back(name);
  }
  for (const std::string& name : names) {
    LB_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, history.List(name, 50));
    // Oldest first, so the newest run's values stay.
    for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
      if (it->finished()) Finished(*it, /*count=*/false);
    }
  }
  return Status::Ok();
}

std::string JobMetrics::Render(Timestamp now) {
  std::lock_guard<std::mutex> lock(mu_);
  struct TypeState {
    bool all_ok = true, any_run = false;
    std::optional<Timestamp> newest;
    double size = 0;
  };
  std::map<std::string, TypeState> types;
  std::map<std::pair<std::string, std::string>, double> lag;
  for (const auto& [name, s] : jobs_) {
    if (s.backup) {  // a prune job has its lifeboat_job_* series only
      TypeState& t = types[s.type];
      if (s.last_result) {
        t.any_run = true;
        t.all_ok = t.all_ok && *s.last_result == "success";
      }
      if (s.last_snapshot_time.sec != 0 && (!t.newest || s.last_snapshot_time > *t.newest)) {
        t.newest = s.last_snapshot_time;
      }
      t.size += double(s.snapshot_size);
    }
    registry_.Set("lifeboat_job_last_success_timestamp_seconds", {name}, Seconds(s.last_success_end))
        .IgnoreError();
    registry_.Set("lifeboat_job_last_run_timestamp_seconds", {name}, Seconds(s.last_run_end)).IgnoreError();
    for (const std::string& to : s.copy_to) {
      auto it = s.behind_since.find(to);
      double behind =
          it == s.behind_since.end() || it->second.sec == 0 ? 0 : Seconds(now) - Seconds(it->second);
      double& l = lag[{s.repository, to}];
      l = std::max(l, behind);
    }
  }
  // Set whole from jobs_ (under mu_, so no render sees them half set): a
  // type or copy pair no job has any more goes.
  for (const char* family :
       {"backup_success", "backup_age_hours", "backup_total_size_bytes", "lifeboat_copy_lag_seconds"}) {
    registry_.Clear(family);
  }
  for (const auto& [type, t] : types) {
    if (t.any_run) registry_.Set("backup_success", {type}, t.all_ok ? 1 : 0).IgnoreError();
    double age =
        t.newest ? (Seconds(now) - Seconds(*t.newest)) / 3600 : std::numeric_limits<double>::infinity();
    registry_.Set("backup_age_hours", {type}, age).IgnoreError();
    registry_.Set("backup_total_size_bytes", {type}, t.size).IgnoreError();
  }
  for (const auto& [pair, l] : lag)
    registry_.Set("lifeboat_copy_lag_seconds", {pair.first, pair.second}, l).IgnoreError();
  return registry_.Render();
}

}  // namespace lifeboat
