// doctor: the whole chain checked, each failure with its fix
// (doctor/doctor.h): a config's repositories, sources and jobs, or the
// repository of -r.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "doctor/doctor.h"
#include "jobs/history.h"
#include "scheduler/config.h"

namespace lifeboat::cli {
namespace {

int RunDoctor(Context& ctx) {
  const Args& a = ctx.args();
  if (!a.positional().empty()) return Fail(ctx, InvalidArgument("doctor takes no arguments"));
  DoctorReport report;
  const bool with_config =
      a.Has("config") || (std::getenv("LIFEBOAT_CONFIG") != nullptr && ctx.RepoUrl().empty());
  if (with_config) {
    const std::string path = ConfigPath(a);
    auto config = LoadConfig(path);
    if (!config.ok()) {
      report.checks.push_back({"config",
                               {Diagnosis::Level::kFail, "load", config.status().message(),
                                "fix the file: lifeboat config check " + path}});
    } else {
      report.checks.push_back({"config",
                               {Diagnosis::Level::kPass, "load",
                                path + ": " + std::to_string(config->jobs.size()) + " job(s), " +
                                    std::to_string(config->repositories.size()) + " repositories",
                                ""}});
      for (const std::string& w : config->warnings) {
        report.checks.push_back(
            {"config", {Diagnosis::Level::kWarn, "file", w, "see docs/config-reference.md"}});
      }
      std::unique_ptr<RunHistory> history;
      struct stat st;
      if (stat(config->HistoryPath().c_str(), &st) == 0) {
        auto h = RunHistory::Open(config->HistoryPath());
        if (h.ok()) history = std::move(*h);
      }
      CheckConfig(*config, history.get(), &report);
    }
  } else {
    RepositorySpec spec;
    spec.url = ctx.RepoUrl();
    spec.name = spec.url;
    if (spec.url.empty()) {
      return Fail(ctx, InvalidArgument("doctor needs -r REPOSITORY or --config FILE"));
    }
    auto options = ctx.Options();
    if (!options.ok()) return Fail(ctx, options.status());
    spec.options = *options;
    auto password = ctx.Password();
    if (!password.ok()) {
      report.checks.push_back({"repository " + spec.name,
                               {Diagnosis::Level::kFail, "password", password.status().message(),
                                "give it with --password-file or LIFEBOAT_PASSWORD_FILE"}});
    } else {
      spec.password_inline = *password;
      CheckRepository(spec, &report);
    }
  }
  if (ctx.json()) {
    std::printf("%s\n", report.Json().c_str());
  } else {
    std::fputs(report.Text().c_str(), stdout);
  }
  return report.passed() ? kExitOk : kExitDataError;
}

}  // namespace

Command DoctorCommand() {
  return {
      "doctor",
      "doctor [--config FILE] [--json]",
      "check the repository, its storage, the sources and the jobs; a fix for every failure",
      {{"config", 0, true, "the config whose repositories and jobs to check (or LIFEBOAT_CONFIG)", "FILE"}},
      RunDoctor};
}

}  // namespace lifeboat::cli
