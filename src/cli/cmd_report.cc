// report inventory|compliance|cost: the plan's audit reports of a
// repository (report/reports.h), with the config's jobs, retention classes
// and run history when there is one.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "env/clock.h"
#include "jobs/history.h"
#include "report/reports.h"
#include "scheduler/config.h"

namespace lifeboat::cli {
namespace {

int RunReport(Context& ctx) {
  const Args& a = ctx.args();
  if (a.positional().size() != 1) {
    return Fail(ctx, InvalidArgument("usage: lifeboat report inventory|compliance|cost [--config FILE]"));
  }
  const std::string kind = a.positional()[0];
  if (kind != "inventory" && kind != "compliance" && kind != "cost") {
    return Fail(ctx, InvalidArgument("report " + kind + ": not inventory, compliance or cost"));
  }
  const std::string format = a.Get("format", ctx.json() ? "json" : "text");
  std::optional<Config> config;
  std::unique_ptr<RunHistory> history;
  std::string name = ctx.RepoUrl();
  if (a.Has("config") || (std::getenv("LIFEBOAT_CONFIG") != nullptr && ctx.RepoUrl().empty())) {
    auto loaded = LoadConfig(ConfigPath(a));
    if (!loaded.ok()) return Fail(ctx, loaded.status());
    config = std::move(*loaded);
    struct stat st;
    if (stat(config->HistoryPath().c_str(), &st) == 0) {
      auto h = RunHistory::Open(config->HistoryPath());
      if (!h.ok()) return Fail(ctx, h.status());
      history = std::move(*h);
    }
  }
  PriceTable prices = PriceTable::Default();
  if (a.Has("prices")) {
    auto p = PriceTable::Load(a.Get("prices"));
    if (!p.ok()) return Fail(ctx, p.status());
    prices = std::move(*p);
  }
  Result<std::unique_ptr<Repository>> opened = Status(Code::kInternal, "unset");
  Repository* repo = nullptr;
  if (config && a.Has("repository")) {
    const RepositorySpec* spec = config->FindRepository(a.Get("repository"));
    if (spec == nullptr) return Fail(ctx, NotFound(config->path + ": no repository " + a.Get("repository")));
    opened = OpenRepository(*spec);
    if (!opened.ok()) return Fail(ctx, opened.status());
    repo = opened->get();
    name = spec->name;
  } else {
    if (config && ctx.RepoUrl().empty()) {
      if (config->repositories.size() != 1) {
        return Fail(
            ctx, InvalidArgument("the config has several repositories: choose one with --repository NAME"));
      }
      opened = OpenRepository(config->repositories[0]);
      if (!opened.ok()) return Fail(ctx, opened.status());
      repo = opened->get();
      name = config->repositories[0].name;
    } else {
      auto r = ctx.Open(Context::LockMode::kNone);
      if (!r.ok()) return Fail(ctx, r.status());
      repo = *r;
    }
  }
  if (Status s = repo->LoadIndex(); !s.ok()) return Fail(ctx, s);
  auto facts =
      GatherFacts(*repo, name, name.starts_with("s3:") || repo->storage().Location().starts_with("s3:"),
                  config ? &*config : nullptr, history.get(), Clock::System()->Now());
  if (!facts.ok()) return Fail(ctx, facts.status().WithContext("report " + kind));
  Result<std::string> text = kind == "inventory"    ? RenderInventory(*facts, format)
                             : kind == "compliance" ? RenderCompliance(*facts, format)
                                                    : RenderCost(*facts, prices, format);
  if (!text.ok()) return Fail(ctx, text.status());
  if (a.Has("output")) {
    if (Status s = WriteWhole(a.Get("output"), *text); !s.ok()) return Fail(ctx, s);
  } else {
    std::fputs(text->c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

Command ReportCommand() {
  return {"report",
          "report inventory|compliance|cost [--config FILE] [--format text|csv|json|html]",
          "the plan's audit reports: every snapshot, retention compliance, storage cost",
          {{"config", 0, true, "the config: job names, retention classes, run history (or LIFEBOAT_CONFIG)",
            "FILE"},
           {"repository", 0, true, "with --config: which of its repositories", "NAME"},
           {"format", 0, true, "text (default), json, html; csv for the inventory", "FORM"},
           {"output", 0, true, "write the report to FILE (whole: a temporary file renamed)", "FILE"},
           {"prices", 0, true, "cost: a YAML price table per storage class (docs/reports.md)", "FILE"}},
          RunReport};
}

}  // namespace lifeboat::cli
