#include "dr/plan.h"

#include <cstdlib>
#include <optional>
#include <set>

#include "env/env.h"
#include "scheduler/config.h"
#include "scheduler/yaml_reader.h"

namespace lifeboat {
namespace {

const std::set<std::string> kTypes = {"postgres", "redis", "files"};

Result<DrObjectives> ParseObjectives(const YamlReader& r, const YAML::Node& node, const std::string& where) {
  DrObjectives o;
  LB_RETURN_IF_ERROR(
      r.Map(node, where, {"rto", "rpo"}, [&](const std::string& key, const YAML::Node& v) -> Status {
        LB_ASSIGN_OR_RETURN(double d, r.Duration(v, key));
        if (d <= 0) return r.Error(v, key, "want a duration above zero");
        (key.ends_with(".rto") ? o.rto_seconds : o.rpo_seconds) = d;
        return Status::Ok();
      }));
  return o;
}

Result<DrEndpoint> ParseEndpoint(const YamlReader& r, const YAML::Node& node, const std::string& where) {
  DrEndpoint e;
  LB_RETURN_IF_ERROR(
      r.Map(node, where, {"url", "path", "data_dir", "port", "user", "settings", "start"},
            [&](const std::string& key, const YAML::Node& v) -> Status {
              if (key.ends_with(".settings")) {
                return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& o) -> Status {
                  LB_ASSIGN_OR_RETURN(e.settings[k.substr(key.size() + 1)], r.String(o, k));
                  return Status::Ok();
                });
              }
              if (key.ends_with(".start")) {
                LB_ASSIGN_OR_RETURN(e.start, r.Strings(v, key));
                if (e.start.empty()) return r.Error(v, key, "want a command (a list of words)");
                return Status::Ok();
              }
              if (key.ends_with(".user")) {
                LB_ASSIGN_OR_RETURN(e.user, r.String(v, key));
                return Status::Ok();
              }
              if (key.ends_with(".port")) {
                LB_ASSIGN_OR_RETURN(e.port, r.Count(v, key, 1));
                if (e.port > 65535) return r.Error(v, key, "want a port from 1 to 65535");
              } else if (key.ends_with(".url")) {
                LB_ASSIGN_OR_RETURN(e.url, r.String(v, key));
              } else if (key.ends_with(".path")) {
                LB_ASSIGN_OR_RETURN(e.path, r.String(v, key));
              } else {
                LB_ASSIGN_OR_RETURN(e.data_dir, r.String(v, key));
              }
              return Status::Ok();
            }));
  return e;
}

// health: one check as a map ({sql: "select 1", timeout: 5s}) or a list of them.
Status ParseHealth(const YamlReader& r, const YAML::Node& node, const std::string& where,
                   std::vector<HealthCheck>* out) {
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      LB_RETURN_IF_ERROR(ParseHealth(r, node[i], where + "[" + std::to_string(i) + "]", out));
    }
    return Status::Ok();
  }
  HealthCheck h;
  LB_RETURN_IF_ERROR(r.Map(node, where, {"tcp", "http", "sql", "redis", "command", "timeout"},
                           [&](const std::string& key, const YAML::Node& v) -> Status {
                             const std::string field = key.substr(key.rfind('.') + 1);
                             if (field == "timeout") {
                               LB_ASSIGN_OR_RETURN(h.timeout_seconds, r.Duration(v, key));
                               return Status::Ok();
                             }
                             if (!h.kind.empty())
                               return r.Error(v, key, "one check per entry (also " + h.kind + ")");
                             h.kind = field;
                             if (field == "command") {
                               LB_ASSIGN_OR_RETURN(h.argv, r.Strings(v, key));
                             } else {
                               LB_ASSIGN_OR_RETURN(h.target, r.String(v, key));
                             }
                             return Status::Ok();
                           }));
  if (h.kind.empty()) return r.Error(node, where, "no check: give tcp, http, sql, redis or command");
  if (h.kind == "http" && !h.target.starts_with("http://") && !h.target.starts_with("https://")) {
    return r.Error(node, where + ".http", "want an http:// or https:// URL");
  }
  if (h.kind == "tcp" && h.target.rfind(':') == std::string::npos) {
    return r.Error(node, where + ".tcp", "want host:port");
  }
  out->push_back(std::move(h));
  return Status::Ok();
}

Result<DrService> ParseService(const YamlReader& r, const std::string& name, const YAML::Node& node,
                               const std::string& where) {
  DrService s;
  s.name = name;
  YAML::Node primary_node, dr_node;  // handles, for the errors below
  bool has_primary = false, has_dr = false;
  LB_RETURN_IF_ERROR(r.Map(
      node, where, {"type", "critical", "objectives", "primary", "dr", "health", "heartbeat", "job", "probe"},
      [&](const std::string& key, const YAML::Node& v) -> Status {
        const std::string field = key.substr(where.size() + 1);
        if (field == "type") {
          LB_ASSIGN_OR_RETURN(s.type, r.String(v, key));
          if (s.type == "mongodb" || s.type == "kubernetes") {
            return r.Error(v, key, s.type + " has no source in this build yet (postgres, redis, files)");
          }
          if (kTypes.count(s.type) == 0) return r.Error(v, key, "unknown type (postgres, redis, files)");
        } else if (field == "critical" || field == "heartbeat") {
          LB_ASSIGN_OR_RETURN(std::string b, r.String(v, key));
          if (b != "true" && b != "false") return r.Error(v, key, "want true or false");
          (field == "critical" ? s.critical : s.heartbeat) = b == "true";
        } else if (field == "objectives") {
          LB_ASSIGN_OR_RETURN(s.objectives, ParseObjectives(r, v, key));
        } else if (field == "primary") {
          LB_ASSIGN_OR_RETURN(s.primary, ParseEndpoint(r, v, key));
          primary_node = v;
          has_primary = true;
        } else if (field == "dr") {
          LB_ASSIGN_OR_RETURN(s.dr, ParseEndpoint(r, v, key));
          dr_node = v;
          has_dr = true;
        } else if (field == "health") {
          return ParseHealth(r, v, key, &s.health);
        } else if (field == "probe") {
          std::vector<HealthCheck> probe;
          LB_RETURN_IF_ERROR(ParseHealth(r, v, key, &probe));
          if (probe.size() != 1) return r.Error(v, key, "want one check (sql, redis, http, tcp or command)");
          s.probe = probe[0];
        } else {
          LB_ASSIGN_OR_RETURN(s.job, r.String(v, key));
        }
        return Status::Ok();
      }));
  if (s.type.empty()) return r.Error(node, where, "no type (postgres, redis, files)");
  if (!has_primary) return r.Error(node, where, "no primary: where the service lives now");
  if (!has_dr) return r.Error(node, where, "no dr: where the DR site runs it");
  // What each type needs at each site.
  for (const std::string site : {"primary", "dr"}) {
    const DrEndpoint* e = site == "primary" ? &s.primary : &s.dr;
    const YAML::Node* n = site == "primary" ? &primary_node : &dr_node;
    const std::string at = where + "." + site;
    if (s.type == "files") {
      if (e->path.empty()) return r.Error(*n, at, "no path (a files service is a directory)");
      if (!e->path.starts_with("/")) return r.Error(*n, at + ".path", "want an absolute path");
    } else {
      const std::string scheme = s.type == "postgres" ? "postgres" : "redis";
      if (e->url.empty()) return r.Error(*n, at, "no url (" + scheme + "://...)");
      if (!e->url.starts_with(scheme + "://") &&
          !(scheme == "postgres" && e->url.starts_with("postgresql://"))) {
        return r.Error(*n, at + ".url", "want a " + scheme + ":// URL for a " + s.type + " service");
      }
    }
  }
  if (s.type == "postgres" && s.dr.data_dir.empty()) {
    return r.Error(dr_node, where + ".dr", "no data_dir: where the DR site's PostgreSQL is restored");
  }
  if (s.dr.url == s.primary.url && !s.dr.url.empty()) {
    return r.Error(dr_node, where + ".dr.url", "is the primary's: the DR site must be another server");
  }
  if (s.type == "files" && s.dr.path == s.primary.path) {
    return r.Error(dr_node, where + ".dr.path", "is the primary's: the DR site must be another directory");
  }
  return s;
}

Result<DrSite> ParseSite(const YamlReader& r, const std::string& name, const YAML::Node& node,
                         const std::string& where, const Config* config) {
  DrSite site;
  site.name = name;
  RepositorySpec& repo = site.repository;
  repo.name = name;
  int sources = 0;
  LB_RETURN_IF_ERROR(r.Map(
      node, where, {"repository", "url", "password_file", "password_env", "password_command", "options"},
      [&](const std::string& key, const YAML::Node& v) -> Status {
        const std::string field = key.substr(where.size() + 1);
        if (field == "options") {
          return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& o) -> Status {
            LB_ASSIGN_OR_RETURN(repo.options[k.substr(key.size() + 1)], r.String(o, k));
            return Status::Ok();
          });
        }
        LB_ASSIGN_OR_RETURN(std::string value, r.String(v, key));
        if (field == "repository") site.repository_name = value;
        if (field == "url") repo.url = value;
        if (field == "password_file") repo.password_file = value, ++sources;
        if (field == "password_env") repo.password_env = value, ++sources;
        if (field == "password_command") repo.password_command = value, ++sources;
        return Status::Ok();
      }));
  if (!site.repository_name.empty()) {
    if (!repo.url.empty() || sources > 0) {
      return r.Error(node, where, "either repository (a name of the config's) or url and a password source");
    }
    if (config == nullptr) {
      return r.Error(node, where + ".repository",
                     "names a repository, but the plan has no config: key (and no --config was given)");
    }
    const RepositorySpec* found = config->FindRepository(site.repository_name);
    if (found == nullptr) {
      std::string names;
      for (const auto& rs : config->repositories) names += (names.empty() ? "" : ", ") + rs.name;
      return r.Error(
          node["repository"], where + ".repository",
          "no repository \"" + site.repository_name + "\" in " + config->path + " (" + names + ")");
    }
    repo = *found;
    return site;
  }
  if (repo.url.empty()) return r.Error(node, where, "no repository: give repository NAME or url");
  if (sources != 1) {
    return r.Error(node, where, "give exactly one of password_file, password_env, password_command");
  }
  return site;
}

}  // namespace

const DrService* DrPlan::FindService(const std::string& name) const {
  for (const DrService& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<DrPlan> ParseDrPlan(std::string_view yaml, const std::string& path,
                           const std::string& default_config) {
  YamlReader r(path);
  LB_ASSIGN_OR_RETURN(YAML::Node root, r.Load(yaml));
  if (!root.IsMap()) return r.Error(root, "", "want a map of keys to values");
  DrPlan plan;
  plan.path = path;
  // The config first: the sites' repository names are resolved in it.
  plan.config_path = default_config;
  if (root["config"]) {
    LB_ASSIGN_OR_RETURN(plan.config_path, r.String(root["config"], "config"));
  }
  std::optional<Config> config;
  if (!plan.config_path.empty()) {
    auto loaded = LoadConfig(plan.config_path);
    if (!loaded.ok()) return loaded.status().WithContext(path + ": config");
    config = std::move(*loaded);
  }
  bool has_sites = false, has_services = false, state_dir_given = false;
  YAML::Node groups_node;
  LB_RETURN_IF_ERROR(r.Map(
      root, "",
      {"objectives", "config", "sites", "services", "groups", "switch", "state_dir", "health_wait",
       "heartbeat_every", "scratch_dir"},
      [&](const std::string& key, const YAML::Node& v) -> Status {
        if (key == "config") return Status::Ok();
        if (key == "state_dir") {
          LB_ASSIGN_OR_RETURN(plan.state_dir, r.String(v, key));
          state_dir_given = true;
          return Status::Ok();
        }
        if (key == "scratch_dir") {
          LB_ASSIGN_OR_RETURN(plan.scratch_dir, r.String(v, key));
          return Status::Ok();
        }
        if (key == "health_wait" || key == "heartbeat_every") {
          LB_ASSIGN_OR_RETURN(double d, r.Duration(v, key));
          if (d <= 0) return r.Error(v, key, "want a duration above zero");
          (key == "health_wait" ? plan.health_wait_seconds : plan.heartbeat_every_seconds) = d;
          return Status::Ok();
        }
        if (key == "objectives") {
          LB_ASSIGN_OR_RETURN(plan.objectives, ParseObjectives(r, v, key));
        } else if (key == "sites") {
          has_sites = true;
          return r.Map(v, key, {"primary", "dr"}, [&](const std::string& k, const YAML::Node& n) -> Status {
            const std::string name = k.substr(key.size() + 1);
            LB_ASSIGN_OR_RETURN(DrSite site, ParseSite(r, name, n, k, config ? &*config : nullptr));
            (name == "primary" ? plan.primary : plan.dr) = std::move(site);
            return Status::Ok();
          });
        } else if (key == "services") {
          has_services = true;
          return r.Map(v, key, {}, [&](const std::string& k, const YAML::Node& n) -> Status {
            LB_ASSIGN_OR_RETURN(DrService s, ParseService(r, k.substr(key.size() + 1), n, k));
            plan.services.push_back(std::move(s));
            return Status::Ok();
          });
        } else if (key == "groups") {
          groups_node = v;
          if (!v.IsSequence()) return r.Error(v, key, "want a list of lists of service names");
          for (size_t i = 0; i < v.size(); ++i) {
            LB_ASSIGN_OR_RETURN(std::vector<std::string> g,
                                r.Strings(v[i], key + "[" + std::to_string(i) + "]"));
            plan.groups.push_back(std::move(g));
          }
        } else {
          return r.Map(v, key, {"to_dr", "to_primary", "fence_primary", "fence_dr"},
                       [&](const std::string& k, const YAML::Node& n) -> Status {
                         const std::string field = k.substr(key.size() + 1);
                         LB_ASSIGN_OR_RETURN(std::vector<std::string> argv, r.Strings(n, k));
                         (field == "to_dr"        ? plan.to_dr
                          : field == "to_primary" ? plan.to_primary
                          : field == "fence_dr"   ? plan.fence_dr
                                                  : plan.fence_primary) = std::move(argv);
                         return Status::Ok();
                       });
        }
        return Status::Ok();
      }));
  if (!state_dir_given && config) plan.state_dir = config->state_dir;
  if (plan.scratch_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    plan.scratch_dir = tmp != nullptr && *tmp ? tmp : "/tmp";
  }
  if (plan.objectives.rto_seconds <= 0 || plan.objectives.rpo_seconds <= 0) {
    return r.Error(root["objectives"] ? root["objectives"] : root, "objectives",
                   "give both rto and rpo (the plan's: {rto: 4h, rpo: 1h})");
  }
  if (!has_sites || plan.primary.name.empty() || plan.dr.name.empty()) {
    return r.Error(root["sites"] ? root["sites"] : root, "sites", "give both primary and dr");
  }
  if (plan.primary.repository.url == plan.dr.repository.url) {
    return r.Error(root["sites"], "sites.dr", "is the primary's repository: DR needs a copy elsewhere");
  }
  if (!has_services || plan.services.empty()) return r.Error(root, "services", "no services");
  if (plan.groups.empty()) {
    for (const DrService& s : plan.services) plan.groups.push_back({s.name});
  } else {
    std::set<std::string> seen;
    for (size_t i = 0; i < plan.groups.size(); ++i) {
      for (const std::string& name : plan.groups[i]) {
        if (plan.FindService(name) == nullptr) {
          return r.Error(groups_node[i], "groups[" + std::to_string(i) + "]",
                         "no service \"" + name + "\" under services:");
        }
        if (!seen.insert(name).second) {
          return r.Error(groups_node[i], "groups[" + std::to_string(i) + "]",
                         "\"" + name + "\" is in two groups");
        }
      }
    }
    for (const DrService& s : plan.services) {
      if (seen.count(s.name) == 0) {
        return r.Error(groups_node, "groups",
                       "service \"" + s.name + "\" is in no group: it would never be restored");
      }
    }
  }
  for (DrService& s : plan.services) {
    s.source = s.type == "files" ? s.primary.path : s.primary.url;
    if (!config) continue;
    const std::string job = s.job.empty() ? s.name : s.job;
    const ScheduledJob* j = config->FindJob(job);
    if (!s.job.empty() && (j == nullptr || j->kind != "backup")) {
      return r.Error(root["services"][s.name]["job"], "services." + s.name + ".job",
                     "no backup job \"" + job + "\" in " + config->path);
    }
    if (j != nullptr && j->kind == "backup") {
      s.source = j->source;
      s.source_options = j->options;
    }
  }
  return plan;
}

Result<DrPlan> LoadDrPlan(const std::string& path, const std::string& default_config) {
  LB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return ParseDrPlan(text, path, default_config);
}

}  // namespace lifeboat
