#include "dr/plan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace lifeboat {
namespace {

// The plan of issue 15 and docs/dr.md, with inline repositories.
constexpr char kPlan[] = R"(objectives: {rto: 4h, rpo: 1h}
sites:
  primary: {url: /srv/backup/repo, password_file: /etc/lifeboat/password}
  dr:      {url: "s3:s3.us-west-2.amazonaws.com/acme-dr/prod", password_env: DR_PASSWORD}
services:
  app-db:
    type: postgres
    critical: true
    objectives: {rto: 2h, rpo: 15m}
    primary: {url: postgres://app@db1:5432/app}
    dr:      {data_dir: /srv/dr/pg, port: 5433, url: postgres://app@127.0.0.1:5433/app}
    health:  {sql: "select 1"}
  cache:
    type: redis
    primary: {url: redis://cache1:6379}
    dr:      {url: redis://127.0.0.1:6380}
    health:  {redis: PING, timeout: 2s}
  app-config:
    type: files
    primary: {path: /etc/app}
    dr:      {path: /srv/dr/etc/app}
groups: [[app-db], [cache, app-config]]
switch:
  to_dr: ["/usr/local/bin/switch-dns", "dr"]
  to_primary: ["/usr/local/bin/switch-dns", "primary"]
  fence_primary: ["/usr/local/bin/fence", "primary"]
)";

TEST(DrPlan, ReadsTheIssuesExample) {
  auto p = ParseDrPlan(kPlan, "dr.yml", "");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->objectives.rto_seconds, 4 * 3600);
  EXPECT_EQ(p->objectives.rpo_seconds, 3600);
  EXPECT_EQ(p->primary.repository.url, "/srv/backup/repo");
  EXPECT_EQ(p->dr.repository.password_env, "DR_PASSWORD");
  ASSERT_EQ(p->services.size(), 3u);
  const DrService* db = p->FindService("app-db");
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->critical);
  EXPECT_EQ(db->rto_seconds(p->objectives), 2 * 3600);
  EXPECT_EQ(db->rpo_seconds(p->objectives), 15 * 60);
  EXPECT_EQ(db->dr.data_dir, "/srv/dr/pg");
  EXPECT_EQ(db->dr.port, 5433);
  ASSERT_EQ(db->health.size(), 1u);
  EXPECT_EQ(db->health[0].kind, "sql");
  EXPECT_EQ(db->health[0].target, "select 1");
  const DrService* cache = p->FindService("cache");
  EXPECT_EQ(cache->rto_seconds(p->objectives), 4 * 3600);  // the plan's
  EXPECT_EQ(cache->health[0].timeout_seconds, 2);
  ASSERT_EQ(p->groups.size(), 2u);
  EXPECT_EQ(p->groups[1], (std::vector<std::string>{"cache", "app-config"}));
  EXPECT_EQ(p->to_dr, (std::vector<std::string>{"/usr/local/bin/switch-dns", "dr"}));
  EXPECT_EQ(p->fence_primary.size(), 2u);
}

TEST(DrPlan, ReadsTheDrSitesServerSettings) {
  std::string yaml = kPlan;
  yaml.replace(
      yaml.find("port: 5433,"), 11,
      "port: 5433, user: pgdr, start: [systemctl, start, pg-dr], settings: {archive_mode: \"off\"},");
  yaml += "state_dir: /srv/lifeboat\nhealth_wait: 20m\nheartbeat_every: 2s\n";
  auto p = ParseDrPlan(yaml, "dr.yml", "");
  ASSERT_TRUE(p.ok()) << p.status().message();
  const DrService* db = p->FindService("app-db");
  EXPECT_EQ(db->dr.user, "pgdr");
  EXPECT_EQ(db->dr.start, (std::vector<std::string>{"systemctl", "start", "pg-dr"}));
  EXPECT_EQ(db->dr.settings.at("archive_mode"), "off");
  EXPECT_EQ(p->state_dir, "/srv/lifeboat");
  EXPECT_EQ(p->health_wait_seconds, 20 * 60);
  EXPECT_EQ(p->heartbeat_every_seconds, 2);
  auto defaults = ParseDrPlan(kPlan, "dr.yml", "");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->state_dir, "/var/lib/lifeboat");
  EXPECT_EQ(defaults->health_wait_seconds, 3600);
}

// Replaces the first `from` in the example with `to`.
std::string Edit(const std::string& from, const std::string& to) {
  std::string s = kPlan;
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(DrPlan, ErrorsNameFileLineAndKey) {
  struct Case {
    std::string yaml, want;
  };
  const std::vector<Case> cases = {
      {Edit("groups: [[app-db], [cache, app-config]]", "groups: [[app-db], [cache, nosuch]]"),
       "dr.yml:22: groups[1]: no service \"nosuch\" under services:"},
      {Edit("groups: [[app-db], [cache, app-config]]", "groups: [[app-db], [cache]]"),
       "groups: service \"app-config\" is in no group"},
      {Edit("groups: [[app-db], [cache, app-config]]", "groups: [[app-db, cache], [cache, app-config]]"),
       "groups[1]: \"cache\" is in two groups"},
      {Edit("type: redis", "type: mongodb"),
       "dr.yml:14: services.cache.type: mongodb has no source in this build yet"},
      {Edit("type: redis", "type: oracle"), "services.cache.type: unknown type"},
      {Edit("{rto: 4h, rpo: 1h}", "{rto: 4h}"), "objectives: give both rto and rpo"},
      {Edit("rpo: 15m", "rpo: soon"), "services.app-db.objectives.rpo: want a duration"},
      {Edit("data_dir: /srv/dr/pg, ", ""), "services.app-db.dr: no data_dir"},
      {Edit("url: redis://127.0.0.1:6380", "url: redis://cache1:6379"),
       "services.cache.dr.url: is the primary's"},
      {Edit("url: redis://127.0.0.1:6380", "url: http://127.0.0.1:6380"), "want a redis:// URL"},
      {Edit("path: /srv/dr/etc/app", "path: srv/dr"), "services.app-config.dr.path: want an absolute path"},
      {Edit("{sql: \"select 1\"}", "{sql: \"select 1\", tcp: \"db1:5432\"}"), "one check per entry"},
      {Edit("{sql: \"select 1\"}", "{http: db1}"), "want an http:// or https:// URL"},
      {Edit("{sql: \"select 1\"}", "{ping: db1}"), "services.app-db.health.ping: unknown key"},
      {Edit("password_env: DR_PASSWORD", "password_env: DR_PASSWORD, password_file: /x"),
       "sites.dr: give exactly one of password_file"},
      {Edit("url: \"s3:s3.us-west-2.amazonaws.com/acme-dr/prod\"", "url: /srv/backup/repo"),
       "sites.dr: is the primary's repository"},
      {Edit("primary: {url: /srv/backup/repo, password_file: /etc/lifeboat/password}",
            "primary: {repository: main}"),
       "sites.primary.repository: names a repository, but the plan has no config: key"},
      {Edit("switch:", "switches:"), "switches: unknown key"},
  };
  for (const Case& c : cases) {
    auto p = ParseDrPlan(c.yaml, "dr.yml", "");
    ASSERT_FALSE(p.ok()) << c.want;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.want), std::string::npos)
        << p.status().message() << "\nwant: " << c.want;
  }
}

TEST(DrPlan, RepositoryNamesComeFromTheServeConfig) {
  char dir[] = "/tmp/drplan-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string config = std::string(dir) + "/lifeboat.yml";
  std::ofstream(config) << R"(repositories:
  primary: {url: /srv/repo, password_file: /etc/lifeboat/password}
  dr: {url: /mnt/dr/repo, password_file: /etc/lifeboat/dr-password}
jobs:
  app-db: {source: "postgres://app@db1/app", repository: primary, schedule: "@daily"}
)";
  std::string yaml = Edit("primary: {url: /srv/backup/repo, password_file: /etc/lifeboat/password}",
                          "primary: {repository: primary}");
  yaml = yaml.substr(0, yaml.find("  dr:      {url")) + "  dr: {repository: dr}\n" +
         yaml.substr(yaml.find("services:"));
  auto p = ParseDrPlan(yaml, "dr.yml", config);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->primary.repository.url, "/srv/repo");
  EXPECT_EQ(p->dr.repository.url, "/mnt/dr/repo");
  EXPECT_EQ(p->dr.repository.password_file, "/etc/lifeboat/dr-password");

  auto unknown = ParseDrPlan(Edit("primary: {url: /srv/backup/repo, password_file: /etc/lifeboat/password}",
                                  "primary: {repository: nosuch}"),
                             "dr.yml", config);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("sites.primary.repository: no repository \"nosuch\" in " +
                                            config + " (primary, dr)"),
            std::string::npos)
      << unknown.status().message();
  std::remove(config.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace lifeboat
