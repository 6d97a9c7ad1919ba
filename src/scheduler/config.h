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
// It lives in scheduler/ because a job's spec holds its Schedule; when the
// JobRunner arrives in jobs/, the spec of what to run moves there and this
// keeps the when.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "engine/forget.h"
#include "scheduler/schedule.h"

namespace lifeboat {

struct RepositorySpec {
  std::string name;
  std::string url;
  // One of these says where the password is (password_inline only when the
  // file held it).
  std::string password_file, password_env, password_command;
  Secret password_inline;
  std::map<std::string, std::string> options;  // e.g. s3.region
};

struct RetrySpec {
  int attempts = 1;              // runs in all, the first included
  double backoff_seconds = 300;  // before the second; doubled after each
};

struct JobSpec {
  std::string name;
  std::string type;        // the `type` label of the plan's metrics
  std::string source;      // a path or a source URL, as `backup` takes it
  std::string repository;  // a name under repositories:
  Schedule schedule;
  std::string retention;             // a name under retention:, or ""
  std::vector<std::string> copy_to;  // repository names
  std::vector<std::string> tags;
  double timeout_seconds = 0;  // 0: none
  RetrySpec retries;
  std::vector<std::string> pre_hooks, post_hooks;
  double hook_timeout_seconds = 300;
};

struct Config {
  std::string path;
  std::string listen = "127.0.0.1:9471";
  std::string state_dir = "/var/lib/lifeboat";
  std::vector<RepositorySpec> repositories;
  std::vector<NamedPolicy> retention;
  std::vector<JobSpec> jobs;  // in the file's order
  std::vector<std::string> warnings;

  const RepositorySpec* FindRepository(std::string_view name) const;
  const NamedPolicy* FindRetention(std::string_view name) const;
  const JobSpec* FindJob(std::string_view name) const;
};

// Reads and checks `path`. kNotFound if it cannot be read, kInvalidArgument
// for anything wrong in it.
Result<Config> LoadConfig(const std::string& path);
// The same for text already read; `private_file` says whether the file is
// readable by its owner alone (inline passwords are then not warned about).
Result<Config> ParseConfig(std::string_view yaml, const std::string& path, bool private_file);

}  // namespace lifeboat
