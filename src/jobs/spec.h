// What a job runs: its source, the repository it backs up to, where it
// copies, how long it may take and how often it is tried. The config file
// (scheduler/config.h) adds when; the runner (jobs/runner.h) and an attempt
// (jobs/attempt.h) read only this, so `lifeboat run`, `lifeboat serve` and
// the DR drills run one job the same way.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "source/registry.h"

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

// The password of `repo`, read now. kInvalidArgument naming the repository
// and the file or variable when it cannot be had; never the password.
Result<Secret> ResolvePassword(const RepositorySpec& repo);

struct RetrySpec {
  int attempts = 1;              // runs in all, the first included
  double backoff_seconds = 300;  // before the second; doubled after each
};

struct JobSpec {
  std::string name;
  // "backup" (of source into repository); "prune" (of repository: its
  // repositories.NAME.prune entry; it runs alone on the repository);
  // "verify" (the restore test of the newest snapshot of source in
  // repository: jobs.NAME.verify); "archive" (what source last archived
  // into repository, checked: jobs.NAME.archive_check); or "suite" (the
  // config's verify: key, the job "validation": the restore tests of the
  // backup jobs in suite_jobs, all when empty, and the Validation Report).
  std::string kind = "backup";
  std::string for_job;               // verify, archive: the backup job NAME
  std::vector<std::string> suite_jobs;  // suite: backup job names
  double prune_max_unused = 0.05;    // prune: the unused share allowed to stay
  std::string type;                  // the `type` label of the plan's metrics
  std::string source;                // a path or a source URL, as `backup` takes it
  std::string repository;            // a name under repositories:
  std::string retention;             // a name under retention:, or ""
  std::vector<std::string> copy_to;  // repository names
  std::vector<std::string> tags;
  // The driver's options, as `backup` takes them as flags (without the
  // dashes): {redis-password-file: /etc/redis-pw, database: [app, billing]}.
  std::map<std::string, std::vector<std::string>> options;
  double timeout_seconds = 0;  // 0: none
  RetrySpec retries;
  std::vector<std::string> pre_hooks, post_hooks;
  double hook_timeout_seconds = 300;
};

// A job's options as a driver reads them. A key is set unless its value is
// "false"; Get gives the last value.
class MapOptions final : public OptionView {
 public:
  explicit MapOptions(const std::map<std::string, std::vector<std::string>>& options) : options_(options) {}
  bool Has(const std::string& key) const override;
  std::string Get(const std::string& key, const std::string& fallback = "") const override;
  std::vector<std::string> All(const std::string& key) const override;

 private:
  const std::map<std::string, std::vector<std::string>>& options_;
};

}  // namespace lifeboat
