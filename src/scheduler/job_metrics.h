// The metrics of the jobs, in the plan's names and lifeboat's, computed from
// what the runs record (jobs/runner.h, jobs/history.h), never by reading a
// repository on a scrape:
//
//   backup_success{type}          1 when the last run of every job of the type succeeded, else 0
//   backup_age_hours{type}        hours since the newest successful snapshot of the type (+Inf: none)
//   backup_total_size_bytes{type} the latest snapshot of each job of the type, as stored, summed
//   lifeboat_job_last_success_timestamp_seconds{job}, lifeboat_job_last_run_timestamp_seconds{job}
//   lifeboat_job_duration_seconds{job} (histogram), lifeboat_job_runs_total{job,result}
//   lifeboat_job_bytes_added{job}, lifeboat_job_running{job}, lifeboat_job_next_run_timestamp_seconds{job}
//   lifeboat_job_missed_runs_total{job}
//   lifeboat_repository_size_bytes{repository}, lifeboat_repository_snapshots{repository}
//   lifeboat_copy_lag_seconds{from,to}  how long `to` has lacked a snapshot of a job of `from` (0: none)
//   lifeboat_verify_success{job}  1 when the last restore test of the backup job's snapshot passed, else 0
//   lifeboat_verify_duration_seconds{job}  how long that restore test took (a recovery time estimate)
//   lifeboat_wal_archive_last_timestamp_seconds{job}  when the job's database last archived a WAL file
//                                  into the repository (an archive check job reads it)
//
// Serve keeps one for /metrics; `run --metrics-file` builds one from the
// history for the textfile collector or a Pushgateway.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/timefmt.h"
#include "jobs/attempt.h"
#include "jobs/history.h"
#include "jobs/spec.h"
#include "metrics/registry.h"

namespace lifeboat {

class JobMetrics {
 public:
  JobMetrics();

  // A job of the config: its series exist from the start.
  void AddJob(const JobSpec& job);
  // After a reload: the jobs of the new config. Every other job's series
  // go, and those of its repository when no job left names it; a type or a
  // copy pair no job has any more goes at the next Render, which sets those
  // families whole.
  void RetainJobs(const std::set<std::string>& names);
  void SetNextRun(const std::string& job, std::optional<Timestamp> next);
  void Started(const std::string& job);
  void Missed(const std::string& job);
  // A run ended. `count` false: read back from the history at start-up
  // (the counters and the histogram count what this process saw).
  void Finished(const RunRecord& run, bool count = true);
  // The newest runs of each job from the history (at start-up).
  Status Load(RunHistory& history);

  // The text format, with the time-derived values at `now`.
  std::string Render(Timestamp now);

 private:
  struct JobState {
    std::string type, repository;
    bool backup = true;    // false for a prune or verify job: no type-level backup_* series
    std::string kind;      // "backup", "prune", "verify" or "archive"
    std::string for_job;   // a verify or archive check job: the backup job it is about
    std::vector<std::string> copy_to;
    std::optional<std::string> last_result;  // of the last finished run
    Timestamp last_run_end, last_success_end, last_snapshot_time;
    uint64_t snapshot_size = 0;
    std::map<std::string, Timestamp> behind_since;  // by copy_to repository; zero: caught up
  };

  std::mutex mu_;
  metrics::Registry registry_;
  std::map<std::string, JobState> jobs_;
};

}  // namespace lifeboat
