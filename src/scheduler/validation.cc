#include "scheduler/validation.h"

#include <algorithm>

#include "env/env.h"
#include "verify/report.h"

namespace lifeboat {

JobSpec VerifyJobFor(const Config& config, const ScheduledJob& job) {
  if (const ScheduledJob* v = config.FindJob("verify-" + job.name); v != nullptr && v->kind == "verify") {
    return *v;
  }
  JobSpec spec = job;
  spec.name = "verify-" + job.name;
  spec.kind = "verify";
  spec.for_job = job.name;
  spec.pre_hooks.clear();
  spec.post_hooks.clear();
  spec.copy_to.clear();
  spec.retention.clear();
  spec.retries = RetrySpec{};
  return spec;
}

Result<std::vector<JobCheck>> CheckJobRuns(const Config& config, RunHistory& history, Timestamp now) {
  std::vector<JobCheck> out;
  for (const ScheduledJob& job : config.jobs) {
    if (job.kind != "backup") continue;
    JobCheck c;
    c.job = job.name;
    c.schedule = job.schedule.text();
    LB_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, history.List(job.name));
    const RunRecord* last = nullptr;
    const RunRecord* success = nullptr;
    for (const RunRecord& r : runs) {  // newest first
      if (!r.finished()) continue;
      if (last == nullptr) last = &r;
      if (success == nullptr && r.result == "success") success = &r;
    }
    if (last == nullptr) {
      c.reason = "it has never run";
      out.push_back(std::move(c));
      continue;
    }
    c.last_result = last->result;
    c.last_run = last->start;
    if (success != nullptr) c.last_success = success->start;
    std::optional<Timestamp> slot = job.schedule.Previous(now);
    std::optional<Timestamp> before =
        slot ? job.schedule.Previous(Timestamp{slot->sec - 1, 0}) : std::nullopt;
    if (last->result != "success") {
      c.reason = "the last run (" + FormatRfc3339(last->start) + ") ended " + last->result +
                 (last->error.empty() ? "" : ": " + last->error);
    } else if (before && success->start < *before) {
      c.reason = "no success since " + FormatRfc3339(*before) + " (schedule " + job.schedule.text() +
                 "): the last was " + FormatRfc3339(success->start);
    } else {
      c.verdict = Verdict::kPass;
    }
    out.push_back(std::move(c));
  }
  return out;
}

Result<ValidationReport> RunValidation(const Config& config, const ValidationRun& run,
                                       ProgressCounters* progress, WarningSink* warnings) {
  for (const std::string& name : run.jobs) {
    const ScheduledJob* j = config.FindJob(name);
    if (j == nullptr || j->kind != "backup") {
      return InvalidArgument(config.path + ": no backup job named " + name);
    }
  }
  ValidationReport report;
  report.ns = run.ns;
  report.configured = true;
  report.date = run.clock->Now();
  for (const ScheduledJob& job : config.jobs) {
    if (job.kind != "backup") continue;
    if (!run.jobs.empty() && std::find(run.jobs.begin(), run.jobs.end(), job.name) == run.jobs.end())
      continue;
    JobSpec spec = VerifyJobFor(config, job);
    for (const auto& [key, values] : run.options) spec.options[key] = values;
    const Driver* d = DriverForUrl(job.source);
    SnapshotCheck c;
    c.job = job.name;
    c.kind = d != nullptr ? d->name : "files";
    c.group = ValidationGroupOf(c.kind);
    c.source = job.source;
    c.repository = job.repository;
    int64_t id = 0;
    Timestamp start = run.clock->Now();
    if (run.history != nullptr) {
      LB_ASSIGN_OR_RETURN(id, run.history->Begin(spec.name, spec.type, run.trigger, start));
    }
    AttemptResult r = RunAttempt(spec, config.TargetsOf(spec), progress, warnings);
    Timestamp end = run.clock->Now();
    if (run.history != nullptr) {
      LB_RETURN_IF_ERROR(run.history->Finish(id, end, r.result, r.snapshot_id, 0, r.error, r.ToJson()));
    }
    if (!r.snapshot_id.empty()) {
      c.snapshot = r.snapshot_id.substr(0, 8);
      c.snapshot_time = r.snapshot_time;
      c.host = HostName();
    }
    c.verdict = r.result == "success" ? Verdict::kPass : Verdict::kFail;
    c.reason = !r.test_reason.empty() ? r.test_reason : r.error;
    c.bytes = r.bytes_processed;
    c.files = r.test_files;
    c.seconds = r.test_seconds;
    c.lines = r.test_lines;
    report.snapshots.push_back(std::move(c));
  }
  if (run.history == nullptr) {
    report.jobs_skipped = "no run history";
  } else {
    LB_ASSIGN_OR_RETURN(report.jobs, CheckJobRuns(config, *run.history, report.date));
  }
  return report;
}

}  // namespace lifeboat
