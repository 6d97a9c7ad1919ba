// verify: restore tests. `verify [SNAPSHOT]` tests one snapshot (a
// database snapshot in a scratch server by its driver, a file snapshot in
// a scratch directory, read back); `verify --all` tests the newest snapshot
// of every source and prints the plan's Backup Validation Report
// (verify/report.h): of the repository's sources, or with --config of
// every backup job, recorded in the run history.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/snapshot_reader.h"
#include "env/clock.h"
#include "jobs/history.h"
#include "scheduler/config.h"
#include "scheduler/validation.h"
#include "server/notify.h"
#include "source/registry.h"
#include "verify/report.h"
#include "verify/results.h"
#include "verify/suite.h"
#include "verify/trial_restore.h"

namespace lifeboat::cli {
namespace {

int VerifyOne(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.size() > 1) return Fail(ctx, InvalidArgument("verify takes at most one snapshot ID"));
  // Without an ID: the newest database snapshot, as before file snapshots
  // could be tested.
  Result<Snapshot> snap =
      pos.empty() ? OpenDatabaseSnapshot(ctx, "latest", nullptr) : ctx.OpenSnapshot(pos[0]);
  if (!snap.ok()) return Fail(ctx, snap.status());
  StderrWarnings warnings(ctx.json());
  auto test = RunRestoreTest(ctx.repo(), *snap, ArgsOptions(ctx.args()), nullptr, &warnings);
  if (!test.ok()) return Fail(ctx, test.status().WithContext("verify"));
  PrintReport(ctx, "verify", *snap, test->report);
  if (!test->passed) {
    if (!ctx.json()) {
      std::fprintf(stderr, "lifeboat: verify: snapshot %s did not restore to the data it was taken of: %s\n",
                   snap->id.Short().c_str(), test->reason.c_str());
    }
    return kExitDataError;
  }
  return kExitOk;
}

int VerifyAll(Context& ctx) {
  const Args& a = ctx.args();
  if (!a.positional().empty()) return Fail(ctx, InvalidArgument("verify --all takes no snapshot ID"));
  std::string format = a.Get("report", ctx.json() ? "json" : "text");
  if (format != "text" && format != "json" && format != "html") {
    return Fail(ctx, InvalidArgument("--report " + format + ": not text, json or html"));
  }
  const bool with_config = a.Has("config") || std::getenv("LIFEBOAT_CONFIG") != nullptr;
  if (!with_config) {
    for (const char* flag : {"job", "notify", "no-history"}) {
      if (a.Has(flag)) return Fail(ctx, InvalidArgument(std::string("--") + flag + " needs --config"));
    }
  }
  StderrWarnings warnings(ctx.json());
  ArgsOptions options(a);
  std::optional<Result<ValidationReport>> result;
  std::optional<Config> config;
  if (with_config) {
    auto loaded = LoadConfig(ConfigPath(a));
    if (!loaded.ok()) return Fail(ctx, loaded.status());
    config = std::move(*loaded);
    std::unique_ptr<RunHistory> history;
    if (!a.Has("no-history")) {
      if (mkdir(config->state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return Fail(ctx, ErrnoStatus("state_dir " + config->state_dir, errno));
      }
      auto h = RunHistory::Open(config->HistoryPath());
      if (!h.ok()) return Fail(ctx, h.status().WithContext("run history (--no-history runs without it)"));
      history = std::move(*h);
    }
    ValidationRun run;
    run.jobs = a.All("job");
    run.history = history.get();
    if (a.Has("namespace")) run.ns = a.Get("namespace");
    if (a.Has("sample")) run.options["sample"] = {a.Get("sample")};
    if (a.Has("no-record")) run.options["no-record"] = {""};
    result = RunValidation(*config, run, nullptr, &warnings);
  } else {
    auto repo = ctx.Open(Context::LockMode::kShared);
    if (!repo.ok()) return Fail(ctx, repo.status());
    result =
        ValidateRepository(ctx.repo(), ctx.RepoUrl(), options, Clock::System()->Now(), nullptr, &warnings);
    if (result->ok() && a.Has("namespace")) (*result)->ns = a.Get("namespace");
  }
  if (!result->ok()) return Fail(ctx, result->status().WithContext("verify --all"));
  const ValidationReport* report = &**result;

  std::string text = format == "json"   ? RenderReportJson(*report)
                     : format == "html" ? RenderReportHtml(*report)
                                        : RenderReportText(*report);
  if (a.Has("output")) {
    if (Status s = WriteWhole(a.Get("output"), text); !s.ok()) return Fail(ctx, s);
    if (!ctx.quiet() && !ctx.json()) std::fputs(ReportSummaryText(*report).c_str(), stdout);
  } else {
    std::fputs(text.c_str(), stdout);
  }
  if (a.Has("notify")) {
    if (config->serve.webhooks.empty()) {
      std::fprintf(stderr, "warning: --notify: %s has no notifications.webhooks\n", config->path.c_str());
    }
    Notifier notifier(config->serve.webhooks,
                      [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
    nlohmann::json body = {{"event", "validation"},
                           {"passed", report->passed()},
                           {"host", HostName()},
                           {"report", nlohmann::json::parse(RenderReportJson(*report))}};
    notifier.NotifyAll(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       ReportSummaryText(*report), "the Validation Report");
  }
  return report->passed() ? kExitOk : kExitDataError;
}

// --history: the results of restore tests and checks recorded in the
// repository (verify/results.h), oldest first.
int VerifyHistory(Context& ctx) {
  if (!ctx.args().positional().empty())
    return Fail(ctx, InvalidArgument("verify --history takes no snapshot ID"));
  auto repo = ctx.Open(Context::LockMode::kNone);
  if (!repo.ok()) return Fail(ctx, repo.status());
  StderrWarnings warnings(ctx.json());
  auto results = LoadResults(ctx.repo(), &warnings);
  if (!results.ok()) return Fail(ctx, results.status().WithContext("verify --history"));
  if (ctx.json()) {
    std::string out = "[";
    for (size_t i = 0; i < results->size(); ++i) out += (i ? "," : "") + RunResultJson((*results)[i]);
    std::printf("%s]\n", out.c_str());
    return kExitOk;
  }
  if (results->empty()) {
    std::printf("no restore test or check recorded in %s\n", ctx.RepoUrl().c_str());
    return kExitOk;
  }
  for (const RunResult& r : *results) {
    std::string what;
    if (r.kind == "verify") {
      what = "verify " + r.snapshot.substr(0, 8) + " " + r.source;
      if (!r.job.empty()) what += " (job " + r.job + ")";
      what += ", " + std::to_string(r.files) + " files, " + HumanBytes(r.bytes);
      if (r.sample_groups > 0) {
        what +=
            ", sample part " + std::to_string(r.sample_group + 1) + " of " + std::to_string(r.sample_groups);
      }
    } else {
      what = "check" + (r.read_data.empty()
                            ? std::string()
                            : " --read-data" + (r.read_data == "all" ? "" : "-subset " + r.read_data));
    }
    std::printf("%s  %-4s  %s, %.1f s on %s%s\n", FormatLocal(r.time).c_str(), r.passed ? "PASS" : "FAIL",
                what.c_str(), r.seconds, r.host.c_str(), r.passed ? "" : (": " + r.reason).c_str());
  }
  return kExitOk;
}

int RunVerify(Context& ctx) {
  if (ctx.args().Has("history")) return VerifyHistory(ctx);
  return ctx.args().Has("all") ? VerifyAll(ctx) : VerifyOne(ctx);
}

}  // namespace

Command VerifyCommand() {
  std::vector<FlagSpec> flags = {
      {"all", 0, false,
       "test the newest snapshot of every source (with --config: of every backup job) and print the "
       "Validation Report"},
      {"config", 0, true, "with --all: the config file whose backup jobs to test (or LIFEBOAT_CONFIG)",
       "FILE"},
      {"job", 0, true, "with --all --config: only this backup job (repeatable)", "NAME"},
      {"report", 0, true, "with --all: the report's form, text (default), json or html", "FORM"},
      {"output", 0, true, "with --all: write the report to FILE and print the summary", "FILE"},
      {"notify", 0, false, "with --all --config: send the summary to the config's webhooks"},
      {"namespace", 0, true, "with --all: the report's Validation Namespace (default backup-validation)",
       "NAME"},
      {"no-history", 0, false, "with --all --config: do not record the tests in the run history"},
      {"sample", 0, true,
       "file snapshots: restore only N% of the files, the part after the one the last sampled test of "
       "the source covered (successive runs cover every file)",
       "N%"},
      {"no-record", 0, false, "do not record the result in the repository (results/)"},
      {"history", 0, false, "list the restore tests and checks recorded in the repository"},
      {"scratch-dir", 0, true, "file snapshots: restore under DIR instead of $TMPDIR", "DIR"},
      {"jobs", 'j', true, "PostgreSQL: pg_restore jobs and fingerprint connections (default 2)", "N"},
      {"against", 0, true,
       "PostgreSQL: compare with this live database instead of restoring into a scratch server", "URL"},
      {"database", 0, true, "PostgreSQL, with --against: which database of the snapshot", "NAME"},
  };
  AddFilterFlags(&flags);
  return {
      "verify", "verify [flags] [SNAPSHOT] | verify --all [--config FILE] [--report text|json|html]",
      "restore test: restore a snapshot where nothing depends on it and compare it with what was backed up",
      flags, RunVerify};
}

}  // namespace lifeboat::cli
