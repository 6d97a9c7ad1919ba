// The config file of `lifeboat serve` and `lifeboat run` (YAML; every key in
// docs/config-reference.md):
//
//   listen: 127.0.0.1:9471
//   state_dir: /var/lib/lifeboat
//   repositories:
//     primary: {url: /srv/backup/repo, password_file: /etc/lifeboat/password}
//   retention:
//     operational: {keep_within: 30d}
//   jobs:
//     postgres:
//       source: postgres://backup@db1:5432/app
//       repository: primary
//       schedule: "0 2 * * *"
//       retention: operational
//
// Unknown keys are errors, and every error names the file, the line and the
// key ("lifeboat.yml:12: jobs.postgres.schedule: ..."). A password written
// into the file is accepted only with a warning unless the file is private
// (mode 0600 or stricter); no message quotes it.
//
// It lives in scheduler/ because it holds the when; what a job runs is
// jobs/spec.h.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/forget.h"
#include "jobs/attempt.h"
#include "jobs/spec.h"
#include "scheduler/planner.h"
#include "scheduler/schedule.h"

namespace lifeboat {

// A job of the config: what to run (jobs/spec.h) and when.
struct ScheduledJob : JobSpec {
  Schedule schedule;
};

// Where `serve` tells of runs (notifications).
struct WebhookSpec {
  std::string url;
  std::string format = "json";  // json (lifeboat's body) or slack (an incoming webhook's {"text": ...})
  std::vector<std::string> events = {"failure", "missed"};  // of success, failure, missed
};

// How `serve` runs the jobs.
struct ServeSpec {
  Limits limits;                             // concurrency.global, concurrency.per_repository
  MissedRule missed = MissedRule::kRunOnce;  // missed_runs: run_once or skip
  double shutdown_grace_seconds = 300;       // SIGTERM: how long running jobs may take to finish
  double history_keep_seconds = 90 * 86400;  // history.keep
  std::string api_token_file;                // api.token_file: bearer token for /api/
  std::vector<WebhookSpec> webhooks;         // notifications.webhooks
};

struct Config {
  std::string path;
  std::string listen = "127.0.0.1:9471";
  std::string state_dir = "/var/lib/lifeboat";
  std::vector<RepositorySpec> repositories;
  std::vector<NamedPolicy> retention;
  std::vector<ScheduledJob> jobs;  // in the file's order
  ServeSpec serve;
  // dr_plan: the DR plan (docs/dr.md) whose heartbeats serve writes ("" if none).
  std::string dr_plan;
  std::vector<std::string> warnings;

  const RepositorySpec* FindRepository(std::string_view name) const;
  const NamedPolicy* FindRetention(std::string_view name) const;
  const ScheduledJob* FindJob(std::string_view name) const;
  // The repositories and retention class `job` names (checked at load).
  JobTargets TargetsOf(const JobSpec& job) const;
  // Where the run history lives: state_dir/history.sqlite.
  std::string HistoryPath() const { return state_dir + "/history.sqlite"; }
};

// Reads and checks `path`. kNotFound if it cannot be read, kInvalidArgument
// for anything wrong in it.
Result<Config> LoadConfig(const std::string& path);
// The same for text already read; `private_file` says whether the file is
// readable by its owner alone (inline passwords are then not warned about).
Result<Config> ParseConfig(std::string_view yaml, const std::string& path, bool private_file);

}  // namespace lifeboat
