#include "scheduler/config.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <set>

#include "base/timefmt.h"
#include "env/env.h"
#include "scheduler/yaml_reader.h"
#include "source/registry.h"

namespace lifeboat {
namespace {

using Reader = YamlReader;

// A retention class: the rules of a --policy-file entry, under either
// spelling (within, keep_within, keep-within; within-daily, keep_within_daily).
Result<NamedPolicy> ParseRetentionClass(const Reader& r, const std::string& name, const YAML::Node& node,
                                        const std::string& where) {
  if (!node.IsMap()) return r.Error(node, where, "want a map of rules, e.g. {keep_within: 30d}");
  YAML::Node rules(YAML::NodeType::Map);
  for (const auto& entry : node) {
    std::string key = entry.first.Scalar();
    for (char& c : key) c = c == '_' ? '-' : c;
    if (key.starts_with("keep-") && key != "keep-tags") key = key.substr(5);
    if (key == "tags") key = "keep-tags";
    rules[key] = entry.second;
  }
  YAML::Node doc(YAML::NodeType::Map);
  doc[name] = rules;
  YAML::Emitter out;
  out << doc;
  auto parsed = ParsePolicyFile(out.c_str());
  if (!parsed.ok()) {
    std::string why = parsed.status().message();
    std::string prefix = "policy file: policy \"" + name + "\": ";
    if (why.starts_with(prefix)) why = why.substr(prefix.size());
    return r.Error(node, where, why);
  }
  return std::move(parsed->front());
}

// The keys every job has for when and how it runs: schedule, timeout,
// retries. False if `key` is none of them.
Result<bool> ParseRunKey(const Reader& r, const std::string& key, const YAML::Node& v, ScheduledJob* job,
                         bool* has_schedule) {
  if (key.ends_with(".schedule")) {
    LB_ASSIGN_OR_RETURN(std::string text, r.String(v, key));
    auto s = Schedule::Parse(text);
    if (!s.ok()) return r.Error(v, key, s.status().message());
    job->schedule = std::move(*s);
    *has_schedule = true;
  } else if (key.ends_with(".timeout")) {
    LB_ASSIGN_OR_RETURN(job->timeout_seconds, r.Duration(v, key));
  } else if (key.ends_with(".retries")) {
    LB_RETURN_IF_ERROR(
        r.Map(v, key, {"attempts", "backoff"}, [&](const std::string& k, const YAML::Node& o) -> Status {
          if (k.ends_with(".attempts")) {
            LB_ASSIGN_OR_RETURN(job->retries.attempts, r.Count(o, k, 1));
          } else {
            LB_ASSIGN_OR_RETURN(job->retries.backoff_seconds, r.Duration(o, k));
          }
          return Status::Ok();
        }));
  } else {
    return false;
  }
  return true;
}

// repositories.NAME.prune: {schedule, max_unused: 5%, timeout, retries}:
// the job "prune-NAME", which runs alone on the repository.
Result<ScheduledJob> ParsePrune(const Reader& r, const std::string& repo, const YAML::Node& node,
                                const std::string& where) {
  ScheduledJob job;
  job.name = "prune-" + repo;
  job.kind = "prune";
  job.type = "prune";
  job.repository = repo;
  job.source = repo;
  bool has_schedule = false;
  LB_RETURN_IF_ERROR(r.Map(node, where, {"schedule", "max_unused", "timeout", "retries"},
                           [&](const std::string& key, const YAML::Node& v) -> Status {
                             LB_ASSIGN_OR_RETURN(bool done, ParseRunKey(r, key, v, &job, &has_schedule));
                             if (done) return Status::Ok();
                             std::string text = v.IsScalar() ? v.Scalar() : "";
                             char* end = nullptr;
                             double pct = std::strtod(text.c_str(), &end);
                             if (text.empty() || std::string(end) != "%" || pct < 0 || pct > 100) {
                               return r.Error(v, key, "want a share such as 5%");
                             }
                             job.prune_max_unused = pct / 100;
                             return Status::Ok();
                           }));
  if (!has_schedule) return r.Error(node, where, "no schedule (cron such as \"0 5 * * 0\")");
  return job;
}

// jobs.NAME.verify and jobs.NAME.archive_check: {schedule, timeout,
// retries, options}: the job "verify-NAME", the restore test of NAME's
// newest snapshot, or "archive-NAME", the check of what NAME's source last
// archived. Source, repository and type are NAME's, filled in by ParseJob.
Result<ScheduledJob> ParseJobOfJob(const Reader& r, const std::string& kind, const std::string& name,
                                   const YAML::Node& node, const std::string& where) {
  ScheduledJob job;
  job.name = kind + "-" + name;
  job.kind = kind;
  job.for_job = name;
  bool has_schedule = false;
  LB_RETURN_IF_ERROR(
      r.Map(node, where, {"schedule", "timeout", "retries", "options"},
            [&](const std::string& key, const YAML::Node& v) -> Status {
              LB_ASSIGN_OR_RETURN(bool done, ParseRunKey(r, key, v, &job, &has_schedule));
              if (done) return Status::Ok();
              return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& o) -> Status {
                LB_ASSIGN_OR_RETURN(job.options[k.substr(key.size() + 1)], r.Strings(o, k));
                return Status::Ok();
              });
            }));
  if (!has_schedule) {
    return r.Error(node, where,
                   kind == "verify" ? "no schedule (cron such as \"0 4 * * 0\")"
                                    : "no schedule (such as \"@every 5m\")");
  }
  return job;
}

// verify: {schedule, jobs, options, timeout, retries}: the plan's weekly
// suite, the job "validation" (kind "suite"): the restore test of each
// backup job named (all when jobs is absent) and the Validation Report.
Result<ScheduledJob> ParseSuite(const Reader& r, const YAML::Node& node, const std::string& where) {
  ScheduledJob job;
  job.name = "validation";
  job.kind = "suite";
  job.type = "validation";
  bool has_schedule = false;
  LB_RETURN_IF_ERROR(
      r.Map(node, where, {"schedule", "timeout", "retries", "jobs", "options"},
            [&](const std::string& key, const YAML::Node& v) -> Status {
              LB_ASSIGN_OR_RETURN(bool done, ParseRunKey(r, key, v, &job, &has_schedule));
              if (done) return Status::Ok();
              if (key.ends_with(".jobs")) {
                LB_ASSIGN_OR_RETURN(job.suite_jobs, r.Strings(v, key));
                return Status::Ok();
              }
              return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& o) -> Status {
                LB_ASSIGN_OR_RETURN(job.options[k.substr(key.size() + 1)], r.Strings(o, k));
                return Status::Ok();
              });
            }));
  if (!has_schedule) return r.Error(node, where, "no schedule (cron such as \"0 4 * * 1\")");
  return job;
}

Result<RepositorySpec> ParseRepository(const Reader& r, const std::string& name, const YAML::Node& node,
                                       const std::string& where, bool private_file,
                                       std::vector<std::string>* warnings,
                                       std::optional<ScheduledJob>* prune) {
  RepositorySpec repo;
  repo.name = name;
  int sources = 0;
  LB_RETURN_IF_ERROR(
      r.Map(node, where,
            {"url", "password_file", "password_env", "password_command", "password", "options", "prune"},
            [&](const std::string& key, const YAML::Node& v) -> Status {
              const std::string field = key.substr(where.size() + 1);
              if (field == "prune") {
                LB_ASSIGN_OR_RETURN(ScheduledJob job, ParsePrune(r, name, v, key));
                *prune = std::move(job);
                return Status::Ok();
              }
              if (field == "options") {
                return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& o) -> Status {
                  LB_ASSIGN_OR_RETURN(std::string value, r.String(o, k));
                  repo.options[k.substr(key.size() + 1)] = value;
                  return Status::Ok();
                });
              }
              if (field == "password") {
                if (!v.IsScalar() || v.Scalar().empty()) return r.Error(v, key, "want a non-empty string");
                repo.password_inline = Secret(v.Scalar());
                ++sources;
                if (!private_file) {
                  warnings->push_back(key +
                                      " is written in a file others may read: use password_file or "
                                      "password_env, or make the file mode 0600");
                }
                return Status::Ok();
              }
              LB_ASSIGN_OR_RETURN(std::string value, r.String(v, key));
              if (field == "url") {
                repo.url = value;
                return Status::Ok();
              }
              ++sources;
              if (field == "password_file") repo.password_file = value;
              if (field == "password_env") repo.password_env = value;
              if (field == "password_command") repo.password_command = value;
              return Status::Ok();
            }));
  if (repo.url.empty()) return r.Error(node, where, "no url");
  if (sources > 1) {
    return r.Error(node, where, "more than one of password_file, password_env, password_command, password");
  }
  if (sources == 0) {
    return r.Error(node, where, "no password: give password_file, password_env or password_command");
  }
  return repo;
}

// The name of the driver that backs the source up ("postgres" for
// postgresql:// too); a path is "files"; a scheme no driver takes, itself.
std::string DefaultType(const std::string& source) {
  if (const Driver* d = DriverForUrl(source)) return d->name;
  std::string scheme = UrlScheme(source);
  return scheme.empty() ? "files" : scheme;
}

// A job under jobs:, and in *derived the jobs its verify and archive_check
// keys make, each with its key.
Result<ScheduledJob> ParseJob(const Reader& r, const std::string& name, const YAML::Node& node,
                              const std::string& where,
                              std::vector<std::pair<ScheduledJob, std::string>>* derived) {
  ScheduledJob job;
  job.name = name;
  bool has_schedule = false;
  LB_RETURN_IF_ERROR(
      r.Map(node, where,
            {"type", "source", "repository", "schedule", "retention", "copy_to", "tags", "timeout", "retries",
             "hooks", "options", "verify", "archive_check"},
            [&](const std::string& key, const YAML::Node& v) -> Status {
              const std::string field = key.substr(where.size() + 1);
              if (field == "schedule" || field == "timeout" || field == "retries") {
                return ParseRunKey(r, key, v, &job, &has_schedule).status();
              }
              if (field == "verify" || field == "archive_check") {
                LB_ASSIGN_OR_RETURN(ScheduledJob sub,
                                    ParseJobOfJob(r, field == "verify" ? "verify" : "archive", name, v, key));
                derived->emplace_back(std::move(sub), field);
              } else if (field == "copy_to") {
                LB_ASSIGN_OR_RETURN(job.copy_to, r.Strings(v, key));
              } else if (field == "tags") {
                LB_ASSIGN_OR_RETURN(job.tags, r.Strings(v, key));
              } else if (field == "options") {
                return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& o) -> Status {
                  LB_ASSIGN_OR_RETURN(job.options[k.substr(key.size() + 1)], r.Strings(o, k));
                  return Status::Ok();
                });
              } else if (field == "hooks") {
                return r.Map(v, key, {"pre", "post", "timeout"},
                             [&](const std::string& k, const YAML::Node& o) -> Status {
                               if (k.ends_with(".pre")) {
                                 LB_ASSIGN_OR_RETURN(job.pre_hooks, r.Strings(o, k));
                               } else if (k.ends_with(".post")) {
                                 LB_ASSIGN_OR_RETURN(job.post_hooks, r.Strings(o, k));
                               } else {
                                 LB_ASSIGN_OR_RETURN(job.hook_timeout_seconds, r.Duration(o, k));
                               }
                               return Status::Ok();
                             });
              } else {
                LB_ASSIGN_OR_RETURN(std::string value, r.String(v, key));
                if (field == "type") job.type = value;
                if (field == "source") job.source = value;
                if (field == "repository") job.repository = value;
                if (field == "retention") job.retention = value;
              }
              return Status::Ok();
            }));
  if (job.source.empty()) return r.Error(node, where, "no source (a path or a URL such as postgres://...)");
  if (job.repository.empty()) return r.Error(node, where, "no repository");
  if (!has_schedule)
    return r.Error(node, where, "no schedule (cron such as \"0 2 * * *\", or \"@every 6h\")");
  if (job.type.empty()) job.type = DefaultType(job.source);
  for (auto& [sub, field] : *derived) {
    // The source's options first, the job's own after them (the last value
    // of a key wins).
    std::map<std::string, std::vector<std::string>> options = job.options;
    for (const auto& [k, vals] : sub.options) options[k] = vals;
    sub.options = std::move(options);
    sub.source = job.source;
    sub.repository = job.repository;
    sub.type = job.type;
    if (field == "archive_check") {
      sub.copy_to = job.copy_to;  // the WAL goes where the base backups go
      const Driver* d = DriverForUrl(job.source);
      if (d == nullptr || !d->archive_status) {
        return r.Error(node[field], where + "." + field,
                       "a " + job.type + " source has no archive of its own to check (PostgreSQL's WAL has)");
      }
    }
  }
  return job;
}

Result<WebhookSpec> ParseWebhook(const Reader& r, const YAML::Node& node, const std::string& where) {
  WebhookSpec hook;
  LB_RETURN_IF_ERROR(r.Map(
      node, where, {"url", "format", "events"}, [&](const std::string& key, const YAML::Node& v) -> Status {
        if (key.ends_with(".events")) {
          LB_ASSIGN_OR_RETURN(hook.events, r.Strings(v, key));
          for (const std::string& e : hook.events) {
            if (e != "success" && e != "failure" && e != "missed") {
              return r.Error(v, key, "event \"" + e + "\" is not success, failure or missed");
            }
          }
          return Status::Ok();
        }
        LB_ASSIGN_OR_RETURN(std::string value, r.String(v, key));
        if (key.ends_with(".url")) {
          if (!value.starts_with("http://") && !value.starts_with("https://")) {
            return r.Error(v, key, "want an http:// or https:// URL");
          }
          hook.url = value;
        } else {
          if (value != "json" && value != "slack") return r.Error(v, key, "want json or slack");
          hook.format = value;
        }
        return Status::Ok();
      }));
  if (hook.url.empty()) return r.Error(node, where, "no url");
  return hook;
}

// The keys of how serve runs (ServeSpec).
Status ParseServeKey(const Reader& r, const std::string& key, const YAML::Node& v, ServeSpec* serve) {
  if (key == "missed_runs") {
    LB_ASSIGN_OR_RETURN(std::string value, r.String(v, key));
    if (value != "run_once" && value != "skip") return r.Error(v, key, "want run_once or skip");
    serve->missed = value == "skip" ? MissedRule::kSkip : MissedRule::kRunOnce;
    return Status::Ok();
  }
  if (key == "shutdown_grace") {
    LB_ASSIGN_OR_RETURN(serve->shutdown_grace_seconds, r.Duration(v, key));
    return Status::Ok();
  }
  if (key == "concurrency") {
    return r.Map(v, key, {"global", "per_repository"},
                 [&](const std::string& k, const YAML::Node& o) -> Status {
                   LB_ASSIGN_OR_RETURN(int n, r.Count(o, k, 1));
                   (k.ends_with(".global") ? serve->limits.global : serve->limits.per_repository) =
                       static_cast<size_t>(n);
                   return Status::Ok();
                 });
  }
  if (key == "history") {
    return r.Map(v, key, {"keep"}, [&](const std::string& k, const YAML::Node& o) -> Status {
      LB_ASSIGN_OR_RETURN(serve->history_keep_seconds, r.Duration(o, k));
      return Status::Ok();
    });
  }
  if (key == "api") {
    return r.Map(v, key, {"token_file"}, [&](const std::string& k, const YAML::Node& o) -> Status {
      LB_ASSIGN_OR_RETURN(serve->api_token_file, r.String(o, k));
      return Status::Ok();
    });
  }
  return r.Map(v, key, {"webhooks"}, [&](const std::string& k, const YAML::Node& o) -> Status {
    if (!o.IsSequence()) return r.Error(o, k, "want a list of {url, format, events}");
    for (size_t i = 0; i < o.size(); ++i) {
      LB_ASSIGN_OR_RETURN(WebhookSpec hook, ParseWebhook(r, o[i], k + "[" + std::to_string(i) + "]"));
      serve->webhooks.push_back(std::move(hook));
    }
    return Status::Ok();
  });
}

}  // namespace

const RepositorySpec* Config::FindRepository(std::string_view name) const {
  for (const auto& r : repositories) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const NamedPolicy* Config::FindRetention(std::string_view name) const {
  for (const auto& p : retention) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const ScheduledJob* Config::FindJob(std::string_view name) const {
  for (const auto& j : jobs) {
    if (j.name == name) return &j;
  }
  return nullptr;
}

JobTargets Config::TargetsOf(const JobSpec& job) const {
  JobTargets t;
  if (const RepositorySpec* r = FindRepository(job.repository)) t.repository = *r;
  for (const std::string& to : job.copy_to) {
    if (const RepositorySpec* r = FindRepository(to)) t.copy_to.push_back(*r);
  }
  if (const NamedPolicy* p = FindRetention(job.retention)) t.retention = *p;
  return t;
}

Result<Config> ParseConfig(std::string_view yaml, const std::string& path, bool private_file) {
  Reader r(path);
  LB_ASSIGN_OR_RETURN(YAML::Node root, r.Load(yaml));
  Config c;
  c.path = path;
  // Line numbers of the names, for the checks across sections below.
  std::map<std::string, YAML::Node> job_nodes;
  // The jobs a key of another makes (verify-NAME, archive-NAME,
  // prune-NAME), after the jobs: those of jobs in the jobs' order, then the
  // prunes in the repositories' order; with the node and key that made each.
  std::map<std::string, std::pair<YAML::Node, std::string>> derived_nodes;
  std::vector<ScheduledJob> derived, prunes;
  LB_RETURN_IF_ERROR(
      r.Map(root, "",
            {"listen", "state_dir", "repositories", "retention", "jobs", "concurrency", "missed_runs",
             "shutdown_grace", "history", "api", "notifications", "verify", "dr_plan"},
            [&](const std::string& key, const YAML::Node& v) -> Status {
              if (key == "concurrency" || key == "missed_runs" || key == "shutdown_grace" ||
                  key == "history" || key == "api" || key == "notifications") {
                return ParseServeKey(r, key, v, &c.serve);
              }
              if (key == "verify") {
                LB_ASSIGN_OR_RETURN(ScheduledJob suite, ParseSuite(r, v, key));
                derived_nodes[suite.name] = {v, key};
                prunes.push_back(std::move(suite));
              } else if (key == "listen") {
                LB_ASSIGN_OR_RETURN(c.listen, r.String(v, key));
              } else if (key == "dr_plan") {
                LB_ASSIGN_OR_RETURN(c.dr_plan, r.String(v, key));
              } else if (key == "state_dir") {
                LB_ASSIGN_OR_RETURN(c.state_dir, r.String(v, key));
              } else if (key == "repositories") {
                return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& n) -> Status {
                  std::optional<ScheduledJob> prune;
                  LB_ASSIGN_OR_RETURN(
                      RepositorySpec repo,
                      ParseRepository(r, k.substr(key.size() + 1), n, k, private_file, &c.warnings, &prune));
                  if (prune) {
                    derived_nodes[prune->name] = {n["prune"], k + ".prune"};
                    prunes.push_back(std::move(*prune));
                  }
                  c.repositories.push_back(std::move(repo));
                  return Status::Ok();
                });
              } else if (key == "retention") {
                return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& n) -> Status {
                  LB_ASSIGN_OR_RETURN(NamedPolicy p, ParseRetentionClass(r, k.substr(key.size() + 1), n, k));
                  c.retention.push_back(std::move(p));
                  return Status::Ok();
                });
              } else {
                return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& n) -> Status {
                  std::vector<std::pair<ScheduledJob, std::string>> subs;
                  LB_ASSIGN_OR_RETURN(ScheduledJob job, ParseJob(r, k.substr(key.size() + 1), n, k, &subs));
                  job_nodes[job.name] = n;
                  c.jobs.push_back(std::move(job));
                  for (auto& [sub, field] : subs) {
                    derived_nodes[sub.name] = {n[field], k + "." + field};
                    derived.push_back(std::move(sub));
                  }
                  return Status::Ok();
                });
              }
              return Status::Ok();
            }));
  for (std::vector<ScheduledJob>* list : {&derived, &prunes}) {
    for (ScheduledJob& job : *list) {
      if (c.FindJob(job.name)) {
        const auto& [node, key] = derived_nodes[job.name];
        return r.Error(node, key, "its job would be named " + job.name + ", as another job is");
      }
      c.jobs.push_back(std::move(job));
    }
  }
  if (const ScheduledJob* suite = c.FindJob("validation"); suite != nullptr && suite->kind == "suite") {
    for (const std::string& name : suite->suite_jobs) {
      const ScheduledJob* j = c.FindJob(name);
      if (j == nullptr || j->kind != "backup") {
        return r.Error(root["verify"]["jobs"], "verify.jobs", "no backup job \"" + name + "\" under jobs:");
      }
    }
  }
  for (const ScheduledJob& job : c.jobs) {
    if (job.kind != "backup") continue;
    const YAML::Node& n = job_nodes[job.name];
    std::string where = "jobs." + job.name;
    if (!c.FindRepository(job.repository)) {
      return r.Error(n["repository"], where + ".repository",
                     "no repository \"" + job.repository + "\" under repositories:");
    }
    if (!job.retention.empty() && !c.FindRetention(job.retention)) {
      return r.Error(n["retention"], where + ".retention",
                     "no class \"" + job.retention + "\" under retention:");
    }
    for (const std::string& to : job.copy_to) {
      if (!c.FindRepository(to)) {
        return r.Error(n["copy_to"], where + ".copy_to", "no repository \"" + to + "\" under repositories:");
      }
      if (to == job.repository)
        return r.Error(n["copy_to"], where + ".copy_to", "copies to its own repository");
    }
  }
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  LB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  struct stat st;
  bool private_file = stat(path.c_str(), &st) == 0 && (st.st_mode & 077) == 0;
  return ParseConfig(text, path, private_file);
}

}  // namespace lifeboat
