// The Validation Report of a config (`lifeboat verify --all --config FILE`
// and the config's `verify:` suite): the restore test of the newest
// snapshot of every backup job, each run in this process as the job's
// verify-NAME job runs (jobs/attempt.h) and recorded in the run history
// under that name, and whether every backup job ran within its schedule.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "env/clock.h"
#include "jobs/history.h"
#include "scheduler/config.h"
#include "verify/report.h"

namespace lifeboat {

// The verify job of backup job `job`: the config's verify-NAME if it has
// one (its options over the job's), else one made from the job.
JobSpec VerifyJobFor(const Config& config, const ScheduledJob& job);

// Every backup job of `config`, judged from `history` at `now`: PASS when
// its last finished run succeeded and its last success started no earlier
// than the fire time before the previous one (one missed or running slot
// is allowed: a daily job checked at 10:30 needs a success since 02:00
// yesterday). A job that never ran is FAIL.
Result<std::vector<JobCheck>> CheckJobRuns(const Config& config, RunHistory& history, Timestamp now);

struct ValidationRun {
  std::vector<std::string> jobs;  // backup jobs to test; empty: all
  std::string ns = "backup-validation";
  // Where the restore tests go into the history; null: not recorded
  // (Backup Jobs is then SKIP).
  RunHistory* history = nullptr;
  std::string trigger = "manual";
  Clock* clock = Clock::System();  // the report's date, the history's times
  // Set over every verify job's options (verify's flags: sample, no-record).
  std::map<std::string, std::vector<std::string>> options;
};

// Runs the suite. An unknown job name is kInvalidArgument; every other
// failure is a FAIL line of the report.
Result<ValidationReport> RunValidation(const Config& config, const ValidationRun& run,
                                       ProgressCounters* progress, WarningSink* warnings);

}  // namespace lifeboat
