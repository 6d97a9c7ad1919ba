// lifeboat serve --config FILE: the daemon. Every job of the config on its
// schedule (scheduler/daemon.h), the HTTP API and /metrics (server/http.h),
// webhooks (server/notify.h). SIGTERM or SIGINT: stop scheduling, let the
// running jobs finish within shutdown_grace, cancel the rest, exit 0; a
// second signal cancels them at once.
// SIGHUP: read the config again; a config that does not load leaves the
// running one in place and says why.
//
// Each attempt runs as `lifeboat run JOB --config COPY --attempt`, where
// COPY is state_dir/serve-config.yml: the config as serve loaded it (mode
// 0600), so a half-edited file is never what a job runs.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/common.h"
#include "dr/heartbeat.h"
#include "dr/plan.h"
#include "env/clock.h"
#include "env/env.h"
#include "env/signals.h"
#include "scheduler/config.h"
#include "scheduler/daemon.h"
#include "server/http.h"
#include "server/notify.h"

namespace lifeboat::cli {
namespace {

std::mutex log_mu;

void LogLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(log_mu);
  std::fprintf(stderr, "%s lifeboat serve: %s\n", FormatRfc3339(Clock::System()->Now()).c_str(),
               line.c_str());
  std::fflush(stderr);
}

// The config as text and as parsed, from one read of the file.
struct Loaded {
  std::string text;
  Config config;
};

Result<Loaded> Load(const std::string& path) {
  LB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  struct stat st;
  bool private_file = stat(path.c_str(), &st) == 0 && (st.st_mode & 077) == 0;
  LB_ASSIGN_OR_RETURN(Config config, ParseConfig(text, path, private_file));
  return Loaded{std::move(text), std::move(config)};
}

// Writes the copy the attempts read: a temporary file, then a rename.
Status WriteCopy(const std::string& text, const std::string& path) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError(tmp + ": " + std::strerror(errno));
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = fsync(fd) == 0 && ok;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return IoError(path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Result<Secret> ReadToken(const Config& config) {
  if (config.serve.api_token_file.empty()) return Secret();
  LB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(config.serve.api_token_file));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return InvalidArgument("api.token_file " + config.serve.api_token_file + " is empty");
  return Secret(std::move(text));
}

int RunServe(Context& ctx) {
  const std::string path = ConfigPath(ctx.args());
  auto loaded = Load(path);
  if (!loaded.ok()) return Fail(ctx, loaded.status());
  for (const std::string& w : loaded->config.warnings) LogLine("warning: " + path + ": " + w);
  auto token = ReadToken(loaded->config);
  if (!token.ok()) return Fail(ctx, token.status());
  std::optional<DrPlan> dr_plan;
  if (!loaded->config.dr_plan.empty()) {
    auto plan = LoadDrPlan(loaded->config.dr_plan, path);
    if (!plan.ok()) return Fail(ctx, plan.status().WithContext("dr_plan"));
    dr_plan = std::move(*plan);
  }
  if (mkdir(loaded->config.state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Fail(ctx, IoError("state_dir " + loaded->config.state_dir + ": " + std::strerror(errno)));
  }
  const std::string copy = loaded->config.state_dir + "/serve-config.yml";
  if (Status s = WriteCopy(loaded->text, copy); !s.ok()) return Fail(ctx, s);

  Notifier notifier(loaded->config.serve.webhooks, LogLine);
  DaemonOptions options;
  options.clock = Clock::System();
  const std::string self = SelfExe();
  options.command = [self, copy](const ScheduledJob& job) {
    return AttemptCommand{{self, "run", job.name, "--config", copy, "--attempt"}, {}, 2};
  };
  options.on_event = [&notifier](const JobEvent& e) { notifier.Notify(e); };
  options.log = LogLine;
  const size_t jobs = loaded->config.jobs.size();
  const std::string listen = loaded->config.listen, state_dir = loaded->config.state_dir;
  auto daemon = Daemon::Open(loaded->config, options);
  if (!daemon.ok()) return Fail(ctx, daemon.status());
  auto server = ApiServer::Start(daemon->get(), listen, std::move(*token));
  if (!server.ok()) return Fail(ctx, server.status());
  Daemon* d = daemon->get();
  ApiServer* api = server->get();

  SetSignalListener([d, api, &notifier, path, copy](int sig) {
    if (sig != SIGHUP) {
      LogLine(std::string("shutting down (") + strsignal(sig) + "; again to cancel the running jobs now)");
      d->Shutdown("lifeboat serve is shutting down");
      return;
    }
    auto next = Load(path);
    Result<Secret> next_token = next.ok() ? ReadToken(next->config) : Result<Secret>(next.status());
    Status written = next_token.ok() ? WriteCopy(next->text, copy) : next_token.status();
    if (!written.ok()) {
      LogLine("reload: " + written.message() + "; keeping the running config");
      return;
    }
    for (const std::string& w : next->config.warnings) LogLine("warning: " + path + ": " + w);
    const size_t n = next->config.jobs.size();
    notifier.SetHooks(next->config.serve.webhooks);
    api->SetToken(std::move(*next_token));
    for (const std::string& w : d->Reload(std::move(next->config))) LogLine("reload: " + w);
    LogLine("reloaded " + path + ": " + std::to_string(n) + " job" + (n == 1 ? "" : "s"));
  });
  // The DR plan's heartbeats, every heartbeat_every, until serve stops.
  std::mutex beat_mu;
  std::condition_variable beat_cv;
  bool beat_stop = false;
  std::thread beats;
  if (dr_plan) {
    beats = std::thread([plan = std::move(*dr_plan), &beat_mu, &beat_cv, &beat_stop] {
      std::map<std::string, bool> failing;
      std::unique_lock<std::mutex> lock(beat_mu);
      while (!beat_stop) {
        lock.unlock();
        for (const DrService& s : plan.services) {
          if (!s.heartbeat) continue;
          Status st =
              Beat(s, s.primary, plan.state_dir, std::min(plan.heartbeat_every_seconds, 10.0)).status();
          // Said once when it starts failing and once when it recovers.
          if (!st.ok() && !failing[s.name]) LogLine("warning: " + st.message());
          if (st.ok() && failing[s.name]) LogLine("heartbeat of " + s.name + " written again");
          failing[s.name] = !st.ok();
        }
        lock.lock();
        beat_cv.wait_for(lock, std::chrono::duration<double>(plan.heartbeat_every_seconds),
                         [&] { return beat_stop; });
      }
    });
  }
  LogLine("listening on " + api->url() + ", " + std::to_string(jobs) + " job" + (jobs == 1 ? "" : "s") +
          ", state in " + state_dir);
  d->Run();
  if (beats.joinable()) {
    {
      std::lock_guard<std::mutex> lock(beat_mu);
      beat_stop = true;
    }
    beat_cv.notify_all();
    beats.join();
  }
  SetSignalListener({});
  api->Stop();
  LogLine("stopped");
  return kExitOk;
}

}  // namespace

Command ServeCommand() {
  return {"serve",
          "serve [--config FILE]",
          "run every job of the config on its schedule, with the HTTP API and /metrics (docs/serve.md); "
          "SIGHUP reloads the config, SIGTERM stops after the running jobs (shutdown_grace)",
          {{"config", 'c', true,
            "the config file (default $LIFEBOAT_CONFIG, else /etc/lifeboat/lifeboat.yml)", "FILE"}},
          RunServe};
}

}  // namespace lifeboat::cli
