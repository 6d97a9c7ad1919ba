// lifeboat run JOB --config FILE: one job of the config now, in the
// foreground, through the same runner as serve (jobs/runner.h): retries,
// timeout, the run history; the exit code is the job's result. With
// --attempt it is the child the runner starts for one attempt.
// lifeboat runs [--job NAME]: the run history.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "env/clock.h"
#include "env/signals.h"
#include "jobs/attempt.h"
#include "jobs/history.h"
#include "jobs/run_json.h"
#include "jobs/runner.h"
#include "scheduler/config.h"
#include "scheduler/job_metrics.h"
#include "scheduler/validation.h"
#include "server/push.h"
#include "verify/report.h"

namespace lifeboat::cli {
namespace {

int ExitForResult(const std::string& result, int code) {
  if (result == "success") return kExitOk;
  if (result == "incomplete") return kExitIncomplete;
  if (result == "cancelled") return 128 + SIGTERM;
  int exit = ExitCodeFor(Status(static_cast<Code>(code), "x"));
  return exit == kExitOk ? kExitFatal : exit;
}

// The suite (the config's verify:): every named backup job's restore test,
// each recorded in the history as its verify-NAME job, and the Validation
// Report written to state_dir/validation-report.{txt,html,json}. It
// succeeds when the report passes; else the error is the first FAIL.
AttemptResult RunSuiteAttempt(const Config& config, const ScheduledJob& job, WarningSink* warnings) {
  AttemptResult r;
  Status s = [&]() -> Status {
    LB_ASSIGN_OR_RETURN(std::unique_ptr<RunHistory> history, RunHistory::Open(config.HistoryPath()));
    ValidationRun run;
    run.jobs = job.suite_jobs;
    run.history = history.get();
    run.trigger = "schedule";
    run.options = job.options;
    LB_ASSIGN_OR_RETURN(ValidationReport report, RunValidation(config, run, nullptr, warnings));
    const std::string base = config.state_dir + "/validation-report";
    LB_RETURN_IF_ERROR(WriteWhole(base + ".txt", RenderReportText(report), "report"));
    LB_RETURN_IF_ERROR(WriteWhole(base + ".html", RenderReportHtml(report), "report"));
    LB_RETURN_IF_ERROR(WriteWhole(base + ".json", RenderReportJson(report), "report"));
    const std::string summary = ReportSummaryText(report);
    for (size_t at = 0, nl; at < summary.size(); at = nl + 1) {
      nl = summary.find('\n', at);
      if (nl == std::string::npos) nl = summary.size();
      if (nl > at) r.test_lines.push_back(summary.substr(at, nl - at));
    }
    r.test_kind = "suite";
    if (report.passed()) return Status::Ok();
    for (const SnapshotCheck& c : report.snapshots) {
      if (c.verdict == Verdict::kFail) return Corrupt("job " + c.job + ": " + c.reason);
    }
    for (const JobCheck& c : report.jobs) {
      if (c.verdict == Verdict::kFail) return Corrupt("job " + c.job + ": " + c.reason);
    }
    return Corrupt("the Validation Report did not pass (" + base + ".txt)");
  }();
  if (!s.ok()) {
    r.error = s.message();
    r.code = static_cast<int>(s.code());
    r.retryable = false;
    return r;
  }
  r.result = "success";
  return r;
}

// The child of one attempt: its result as one JSON line on stdout.
int RunAttemptChild(const Config& config, const ScheduledJob& job) {
  StderrWarnings warnings(false);
  AttemptResult r = job.kind == "suite" ? RunSuiteAttempt(config, job, &warnings)
                                        : RunAttempt(job, config.TargetsOf(job), nullptr, &warnings);
  std::printf("%s\n", r.ToJson().c_str());
  std::fflush(stdout);
  return ExitForResult(r.result, r.code);
}

Result<std::unique_ptr<RunHistory>> OpenHistory(const Config& config) {
  if (mkdir(config.state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("state_dir " + config.state_dir + ": " + std::strerror(errno));
  }
  return RunHistory::Open(config.HistoryPath());
}

// --metrics-file: every job's metrics from the history, written whole to a
// temporary file beside FILE and renamed over it (node_exporter's textfile
// collector never reads half a file).
Status WriteMetricsFile(const Config& config, RunHistory& history, const std::string& path) {
  JobMetrics m;
  Timestamp now = Clock::System()->Now();
  for (const ScheduledJob& job : config.jobs) {
    m.AddJob(job);
    m.SetNextRun(job.name, job.schedule.Next(now));
  }
  LB_RETURN_IF_ERROR(m.Load(history));
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "we");
  if (f == nullptr) return IoError("--metrics-file " + tmp + ": " + std::strerror(errno));
  std::string text = m.Render(now);
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return IoError("--metrics-file " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

// --pushgateway: this job's metrics (its runs in the history) PUT under
// the grouping key job=JOB, so each CronJob replaces only its own.
Status PushJobMetrics(const ScheduledJob& job, RunHistory& history, const std::string& url) {
  JobMetrics m;
  Timestamp now = Clock::System()->Now();
  m.AddJob(job);
  m.SetNextRun(job.name, job.schedule.Next(now));
  LB_RETURN_IF_ERROR(m.Load(history));
  return PushMetrics(url, job.name, m.Render(now));
}

int RunRun(Context& ctx) {
  const Args& a = ctx.args();
  if (a.positional().size() != 1)
    return Fail(ctx, InvalidArgument("usage: lifeboat run JOB [--config FILE]"));
  const std::string path = ConfigPath(a);
  auto config = LoadConfig(path);
  if (!config.ok()) return Fail(ctx, config.status());
  const ScheduledJob* job = config->FindJob(a.positional()[0]);
  if (job == nullptr) {
    std::string names;
    for (const auto& j : config->jobs) names += (names.empty() ? "" : ", ") + j.name;
    return Fail(ctx, NotFound(path + ": no job \"" + a.positional()[0] + "\" (jobs: " + names + ")"));
  }
  if (a.Has("attempt")) return RunAttemptChild(*config, *job);
  for (const std::string& w : config->warnings)
    std::fprintf(stderr, "warning: %s: %s\n", path.c_str(), w.c_str());

  std::unique_ptr<RunHistory> history;
  for (const char* flag : {"metrics-file", "pushgateway"}) {
    if (a.Has(flag) && a.Has("no-history")) {
      return Fail(
          ctx, InvalidArgument(std::string("--") + flag + " needs the run history: it is computed from it"));
    }
  }
  if (!a.Has("no-history")) {
    auto h = OpenHistory(*config);
    if (!h.ok()) return Fail(ctx, h.status().WithContext("run history (--no-history runs without it)"));
    history = std::move(*h);
  }
  CancelFlag cancel(Clock::System());
  SetSignalListener([&cancel](int sig) { cancel.Cancel(std::string("interrupted by ") + strsignal(sig)); });
  AttemptCommand command;
  command.argv = {SelfExe(), "run", job->name, "--config", path, "--attempt"};
  command.stderr_copy_fd = 2;
  RunnerOptions options;
  options.clock = Clock::System();
  options.history = history.get();
  if (!ctx.quiet() && !ctx.json()) {
    if (job->kind == "prune") {
      std::fprintf(stderr, "job %s: pruning %s\n", job->name.c_str(), job->repository.c_str());
    } else if (job->kind == "verify") {
      std::fprintf(stderr, "job %s: restore test of the newest snapshot of %s in %s\n", job->name.c_str(),
                   job->source.c_str(), job->repository.c_str());
    } else if (job->kind == "suite") {
      std::fprintf(stderr, "job %s: the restore tests of %s and the Validation Report\n", job->name.c_str(),
                   job->suite_jobs.empty() ? "every backup job" : "the jobs in verify.jobs");
    } else if (job->kind == "archive") {
      std::fprintf(stderr, "job %s: checking what %s last archived into %s\n", job->name.c_str(),
                   job->source.c_str(), job->repository.c_str());
    } else {
      std::fprintf(stderr, "job %s: backing up %s to %s\n", job->name.c_str(), job->source.c_str(),
                   job->repository.c_str());
    }
  }
  JobRun run = RunJob(*job, a.Get("trigger", "manual"), command, options, &cancel);
  SetSignalListener({});
  const RunRecord& r = run.record;
  if (a.Has("pushgateway")) {
    Status s = PushJobMetrics(*job, *history, a.Get("pushgateway"));
    if (!s.ok()) {
      if (r.result == "success") {
        ctx.DeferError(s);
      } else {
        ctx.PrintError(s);
      }
    }
  }
  if (a.Has("metrics-file")) {
    if (Status s = WriteMetricsFile(*config, *history, a.Get("metrics-file")); !s.ok()) {
      // After the summary if the job succeeded (main reports it), else now.
      if (r.result == "success") {
        ctx.DeferError(s);
      } else {
        ctx.PrintError(s);
      }
    }
  }
  if (ctx.json()) {
    nlohmann::json j = RunToJson(r);
    j["message_type"] = "run";
    j["attempts"] = run.attempts;
    j["details"] = nlohmann::json::parse(r.details, nullptr, false);
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (!ctx.quiet() || r.result != "success") {
    double secs = r.duration_seconds();
    std::string what = r.snapshot_id.empty()   ? ""
                       : job->kind == "verify" ? ", snapshot " + r.snapshot_id.substr(0, 8) + " tested"
                                               : ", snapshot " + r.snapshot_id.substr(0, 8) + ", " +
                                                     HumanBytes(r.bytes_added) + " added";
    if (!run.last.archived_last.empty()) {
      what +=
          ", last archived " + run.last.archived_last + " at " + FormatRfc3339(run.last.archived_last_time);
    }
    if (run.last.forgotten > 0) what += ", " + std::to_string(run.last.forgotten) + " forgotten";
    for (const CopyOutcome& c : run.last.copies) {
      what += ", " + std::to_string(c.copied) + " copied to " + c.to;
    }
    std::printf("job %s: %s%s in %s (%d attempt%s)%s%s\n", r.job.c_str(), r.result.c_str(), what.c_str(),
                HumanDuration(secs).c_str(), run.attempts, run.attempts == 1 ? "" : "s",
                r.error.empty() ? "" : ": ", r.error.c_str());
  }
  return ExitForResult(r.result, run.status_code);
}

int RunRuns(Context& ctx) {
  const Args& a = ctx.args();
  auto config = LoadConfig(ConfigPath(a));
  if (!config.ok()) return Fail(ctx, config.status());
  struct stat st;
  if (stat(config->HistoryPath().c_str(), &st) != 0) {
    if (ctx.json()) {
      std::printf("[]\n");
    } else if (!ctx.quiet()) {
      std::printf("no runs yet (no history at %s)\n", config->HistoryPath().c_str());
    }
    return kExitOk;
  }
  auto history = RunHistory::Open(config->HistoryPath());
  if (!history.ok()) return Fail(ctx, history.status());
  size_t limit = 0;
  if (a.Has("last")) limit = static_cast<size_t>(std::strtoul(a.Get("last").c_str(), nullptr, 10));
  auto runs = (*history)->List(a.Get("job"), limit);
  if (!runs.ok()) return Fail(ctx, runs.status());
  if (ctx.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const RunRecord& r : *runs) out.push_back(RunToJson(r));
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("%-6s %-16s %-9s %-20s %-9s %-11s %-10s %s\n", "ID", "Job", "Trigger", "Start", "Duration",
              "Result", "Snapshot", "Error");
  for (const RunRecord& r : *runs) {
    double secs = r.finished() ? r.duration_seconds() : 0;
    std::printf("%-6lld %-16s %-9s %-20s %-9s %-11s %-10s %s\n", (long long)r.id, r.job.c_str(),
                r.trigger.c_str(), FormatLocal(r.start).c_str(),
                r.finished() ? HumanDuration(secs).c_str() : "-", r.result.c_str(),
                r.snapshot_id.substr(0, 8).c_str(), r.error.c_str());
  }
  return kExitOk;
}

}  // namespace

Command RunCommand() {
  return {
      "run",
      "run JOB [--config FILE]",
      "run one job of the config now, in the foreground (retries, timeout, hooks, retention, copy_to, "
      "recorded in the run history); the exit code is its result",
      {{"config", 'c', true, "the config file (default $LIFEBOAT_CONFIG, else /etc/lifeboat/lifeboat.yml)",
        "FILE"},
       {"no-history", 0, false, "do not record the run in state_dir's history"},
       {"metrics-file", 0, true,
        "then write every job's metrics (from the history) to FILE, for node_exporter's textfile collector",
        "FILE"},
       {"pushgateway", 0, true,
        "then PUT this job's metrics to a Prometheus Pushgateway (grouping key job=JOB)", "URL"},
       {"trigger", 0, true, "what the history records as the trigger (default manual)", "WORD"},
       {"attempt", 0, false, "internal: run one attempt in this process and print its result as JSON"}},
      RunRun};
}

Command RunsCommand() {
  return {"runs",
          "runs [--job NAME] [--last N] [--config FILE]",
          "list the run history of serve and run, newest first",
          {{"config", 'c', true,
            "the config file (default $LIFEBOAT_CONFIG, else /etc/lifeboat/lifeboat.yml)", "FILE"},
           {"job", 0, true, "only this job's runs", "NAME"},
           {"last", 'n', true, "only the newest N runs", "N"}},
          RunRuns};
}

}  // namespace lifeboat::cli
