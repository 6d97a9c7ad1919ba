// The DR plan file (dr-plan.yaml, docs/dr.md): the objectives, the two
// sites and their repositories, the services with where each lives at the
// primary and at the DR site and how its health is checked, the order
// they come back in, and the commands that switch traffic. `lifeboat dr
// check` reads it; assess, failover, failback and drills run it.
//
//   objectives: {rto: 4h, rpo: 1h}
//   config: /etc/lifeboat/lifeboat.yml       # where repository names are defined
//   sites:
//     primary: {repository: primary}
//     dr:      {url: /srv/dr-repo, password_file: /etc/lifeboat/dr-password}
//   services:
//     app-db:
//       type: postgres
//       critical: true
//       objectives: {rto: 2h, rpo: 15m}
//       primary: {url: postgres://app@db1:5432/app}
//       dr:      {data_dir: /srv/dr/pg, port: 5433, url: postgres://app@127.0.0.1:5433/app}
//       health:  {sql: "select 1"}
//   groups: [[app-db], [cache, app-config]]
//   switch: {to_dr: [switch-dns, dr], to_primary: [switch-dns, primary], fence_primary: [fence, primary]}
//
// Errors name the file, the line and the key, as the config's do.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "jobs/spec.h"

namespace lifeboat {

struct DrObjectives {
  double rto_seconds = 0;  // 0: not set (the plan's then)
  double rpo_seconds = 0;
};

// One way to ask whether a service answers: tcp (host:port), http (a URL,
// 2xx or 3xx), sql (a query on the service's URL), redis (a command on its
// URL), or command (argv; exit 0). Each within timeout_seconds.
struct HealthCheck {
  std::string kind;
  std::string target;             // tcp: host:port; http: URL; sql: query; redis: command
  std::vector<std::string> argv;  // command
  double timeout_seconds = 10;
};

// Where a service lives at one site: a URL (postgres://, redis://), a
// path (files), and for a PostgreSQL the DR site restores into, its data
// directory and port.
struct DrEndpoint {
  std::string url;
  std::string path;
  std::string data_dir;
  int port = 0;
  // A PostgreSQL restored at the DR site: the system user that owns and
  // runs it (the restore runs as this user when lifeboat runs as root;
  // default postgres), settings written into its postgresql.auto.conf
  // after the restore (archive_command to the DR repository, the socket
  // directory), and the command that starts it (default: pg_ctl start
  // -w of data_dir).
  std::string user;
  std::map<std::string, std::string> settings;
  std::vector<std::string> start;
};

struct DrService {
  std::string name;
  std::string type;  // postgres, redis, files (mongodb, kubernetes once they have sources)
  bool critical = false;
  DrObjectives objectives;  // the service's own; zero fields fall back to the plan's
  DrEndpoint primary, dr;
  std::vector<HealthCheck> health;
  bool heartbeat = false;  // write heartbeats into the primary, to measure the RPO
  // A query whose speed stands for the service's (the plan's "> 80 % of
  // normal performance"): a drill times it at the primary and at the
  // target. kind "" when the plan has none.
  HealthCheck probe;
  // The backup job (of the serve config) whose snapshots restore this
  // service; "" when the service's name is the job's.
  std::string job;
  // What its snapshots were taken of, as `backup` takes it: the job's
  // source and options when the config has the job, else the primary's
  // url (or path). Its snapshots are those with this source's paths.
  std::string source;
  std::map<std::string, std::vector<std::string>> source_options;

  double rto_seconds(const DrObjectives& plan) const {
    return objectives.rto_seconds > 0 ? objectives.rto_seconds : plan.rto_seconds;
  }
  double rpo_seconds(const DrObjectives& plan) const {
    return objectives.rpo_seconds > 0 ? objectives.rpo_seconds : plan.rpo_seconds;
  }
};

struct DrSite {
  std::string name;             // primary or dr
  std::string repository_name;  // a name of the serve config's repositories:, or ""
  RepositorySpec repository;    // resolved: the config's, or the inline url and password source
};

struct DrPlan {
  std::string path;
  std::string config_path;  // the serve config the repository names come from ("" if none)
  DrObjectives objectives;
  DrSite primary, dr;
  std::vector<DrService> services;                            // in the file's order
  std::vector<std::vector<std::string>> groups;               // restore order; each service exactly once
  std::vector<std::string> to_dr, to_primary, fence_primary;  // switch commands (argv)
  std::vector<std::string> fence_dr;  // optional: stop writes at the DR site before a failback's last backup
  // Where heartbeats note what they wrote (dr-heartbeats.json): the plan's
  // state_dir, else the config's, else /var/lib/lifeboat.
  std::string state_dir = "/var/lib/lifeboat";
  // How long a failover waits for a restored service's health checks to
  // pass (its recovery included) before it gives up on it.
  double health_wait_seconds = 3600;
  double heartbeat_every_seconds = 5;
  // Where drills make their scratch directories ($TMPDIR, else /tmp).
  std::string scratch_dir;

  const DrService* FindService(const std::string& name) const;
};

// Reads and checks `path`. kNotFound if it cannot be read; kInvalidArgument
// for anything wrong in it, with the file, line and key. Repository names
// are resolved in the plan's `config:` file, else in `default_config` (the
// CLI's --config or LIFEBOAT_CONFIG; "" if none).
Result<DrPlan> LoadDrPlan(const std::string& path, const std::string& default_config);
Result<DrPlan> ParseDrPlan(std::string_view yaml, const std::string& path, const std::string& default_config);

}  // namespace lifeboat
