// lifeboat config check FILE: reads the config of serve and run
// (scheduler/config.h) and says what it would do, or the first thing wrong
// with it (file, line, key). Never prints a password.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "env/clock.h"
#include "scheduler/config.h"

namespace lifeboat::cli {
namespace {

int RunConfig(Context& ctx) {
  const std::vector<std::string>& pos = ctx.args().positional();
  if (pos.size() != 2 || pos[0] != "check") {
    return Fail(ctx, InvalidArgument("usage: lifeboat config check FILE"));
  }
  auto c = LoadConfig(pos[1]);
  if (!c.ok()) return Fail(ctx, c.status());
  Timestamp now = Clock::System()->Now();
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "config"},
                     {"path", c->path},
                     {"listen", c->listen},
                     {"state_dir", c->state_dir},
                     {"warnings", c->warnings}};
    for (const RepositorySpec& r : c->repositories)
      j["repositories"].push_back({{"name", r.name}, {"url", r.url}});
    for (const NamedPolicy& p : c->retention)
      j["retention"].push_back({{"name", p.name}, {"rules", p.policy.ToString()}});
    for (const ScheduledJob& job : c->jobs) {
      auto next = job.schedule.Next(now);
      j["jobs"].push_back({{"name", job.name},
                           {"kind", job.kind},
                           {"type", job.type},
                           {"source", job.source},
                           {"repository", job.repository},
                           {"schedule", job.schedule.text()},
                           {"next_run", next ? FormatRfc3339(*next) : ""},
                           {"retention", job.retention},
                           {"copy_to", job.copy_to}});
    }
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  for (const std::string& w : c->warnings)
    std::fprintf(stderr, "warning: %s: %s\n", c->path.c_str(), w.c_str());
  if (ctx.quiet()) return kExitOk;
  std::printf("%s: ok — %zu repositories, %zu retention classes, %zu jobs; API on %s, state in %s\n",
              c->path.c_str(), c->repositories.size(), c->retention.size(), c->jobs.size(), c->listen.c_str(),
              c->state_dir.c_str());
  for (const ScheduledJob& job : c->jobs) {
    auto next = job.schedule.Next(now);
    std::string extra;
    if (job.kind == "verify") extra += ", restore test of job " + job.for_job;
    if (job.kind == "archive") extra += ", archive check of job " + job.for_job;
    if (!job.retention.empty()) extra += ", keep: " + job.retention;
    if (!job.copy_to.empty()) {
      extra += ", copy to:";
      for (const auto& to : job.copy_to) extra += " " + to;
    }
    std::printf("  %-16s %-9s %-28s → %s  [%s] next %s%s\n", job.name.c_str(), job.type.c_str(),
                job.source.c_str(), job.repository.c_str(), job.schedule.text().c_str(),
                next ? FormatRfc3339(*next).c_str() : "never", extra.c_str());
  }
  return kExitOk;
}

}  // namespace

Command ConfigCommand() {
  return {"config",
          "config check FILE",
          "check a config file of serve and run (scheduler/config.h), and show its jobs and their next runs",
          {},
          RunConfig};
}

}  // namespace lifeboat::cli
