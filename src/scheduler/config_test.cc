#include "scheduler/config.h"

#include <gtest/gtest.h>

#include "source/registry.h"

namespace lifeboat {
namespace {

// The example of issue 13 and docs/serve.md.
constexpr char kPlan[] = R"(listen: 127.0.0.1:9471
state_dir: /var/lib/lifeboat
repositories:
  primary: {url: /srv/backup/repo, password_file: /etc/lifeboat/password}
  dr:      {url: "s3:s3.us-west-2.amazonaws.com/acme-dr/prod", password_file: /etc/lifeboat/dr-password, options: {s3.region: us-west-2}}
retention:
  operational: {keep_within: 30d}
  cache:       {keep_within: 7d}
  dr:          {keep_within: 90d}
  compliance:  {keep_monthly: 84}
jobs:
  postgres:
    type: postgres
    source: postgres://backup@db1:5432/app
    repository: primary
    schedule: "0 2 * * *"
    retention: operational
    copy_to: [dr]
    timeout: 2h
    retries: {attempts: 3, backoff: 5m}
    hooks: {pre: ["/usr/local/bin/freeze"], post: ["/usr/local/bin/thaw"]}
  redis:
    source: redis://cache1:6379
    repository: primary
    schedule: "@every 6h"
    retention: cache
  config:
    type: config
    source: /etc/app
    repository: primary
    schedule: "0 3 * * *"
)";

TEST(Config, ReadsThePlansExample) {
  auto c = ParseConfig(kPlan, "lifeboat.yml", true);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen, "127.0.0.1:9471");
  ASSERT_EQ(c->repositories.size(), 2u);
  const RepositorySpec* dr = c->FindRepository("dr");
  ASSERT_NE(dr, nullptr);
  EXPECT_EQ(dr->url, "s3:s3.us-west-2.amazonaws.com/acme-dr/prod");
  EXPECT_EQ(dr->password_file, "/etc/lifeboat/dr-password");
  EXPECT_EQ(dr->options.at("s3.region"), "us-west-2");
  ASSERT_EQ(c->retention.size(), 4u);
  EXPECT_EQ(c->FindRetention("operational")->policy.within.days, 30);
  EXPECT_EQ(c->FindRetention("compliance")->policy.monthly, 84);
  ASSERT_EQ(c->jobs.size(), 3u);
  EXPECT_EQ(c->jobs[0].name, "postgres");  // the file's order
  EXPECT_EQ(c->jobs[2].name, "config");
  const ScheduledJob* pg = c->FindJob("postgres");
  EXPECT_EQ(pg->schedule.text(), "0 2 * * *");
  EXPECT_EQ(pg->copy_to, std::vector<std::string>{"dr"});
  EXPECT_EQ(pg->timeout_seconds, 7200);
  EXPECT_EQ(pg->retries.attempts, 3);
  EXPECT_EQ(pg->retries.backoff_seconds, 300);
  EXPECT_EQ(pg->pre_hooks, std::vector<std::string>{"/usr/local/bin/freeze"});
  EXPECT_EQ(c->FindJob("redis")->type, "redis");  // from the URL's scheme
  EXPECT_EQ(c->FindJob("redis")->schedule.interval(), 21600);
  EXPECT_EQ(c->FindJob("config")->type, "config");
  EXPECT_TRUE(c->warnings.empty());
}

TEST(Config, DefaultsAndTypes) {
  // The type is the name of the driver that takes the URL. lifeboat's main
  // registers the real drivers (source/all, a layer above this one); here
  // a stand-in with the PostgreSQL driver's name and schemes.
  RegisterDriver(Driver{.name = "postgres", .schemes = {"postgres", "postgresql"}});
  auto c = ParseConfig(R"(repositories:
  local: {url: /r, password_env: LIFEBOAT_PASSWORD}
jobs:
  etc: {source: /etc, repository: local, schedule: "@daily"}
  db: {source: "postgresql://u@h/db", repository: local, schedule: "@daily"}
)",
                       "c.yml", true);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen, "127.0.0.1:9471");
  EXPECT_EQ(c->state_dir, "/var/lib/lifeboat");
  EXPECT_EQ(c->FindJob("etc")->type, "files");
  EXPECT_EQ(c->FindJob("db")->type, "postgres");
  EXPECT_EQ(c->FindJob("etc")->retries.attempts, 1);
  EXPECT_EQ(c->FindJob("etc")->timeout_seconds, 0);
}

TEST(Config, AnInlinePasswordIsWarnedAboutUnlessTheFileIsPrivate) {
  constexpr char kInline[] = R"(repositories:
  local: {url: /r, password: hunter2-secret}
)";
  auto open = ParseConfig(kInline, "c.yml", false);
  ASSERT_TRUE(open.ok()) << open.status().message();
  ASSERT_EQ(open->warnings.size(), 1u);
  EXPECT_NE(open->warnings[0].find("repositories.local.password"), std::string::npos);
  EXPECT_EQ(open->warnings[0].find("hunter2"), std::string::npos);
  EXPECT_EQ(open->repositories[0].password_inline.reveal(), "hunter2-secret");
  auto closed = ParseConfig(kInline, "c.yml", true);
  ASSERT_TRUE(closed.ok());
  EXPECT_TRUE(closed->warnings.empty());
}

TEST(Config, ErrorsNameFileLineAndKey) {
  constexpr char kRepo[] = "repositories:\n  local: {url: /r, password_file: /p}\n";
  struct Case {
    std::string yaml;
    std::string message;
  } cases[] = {
      {"jobs: [unclosed", "c.yml:1: not YAML"},
      {"", "c.yml: the file is empty"},
      {"listen: 1\nbogus: 2\n",
       "c.yml:2: bogus: unknown key (known here: api, concurrency, dr_plan, history, jobs, listen, "},
      {std::string(kRepo) +
           "jobs:\n  a:\n    source: /x\n    repository: local\n    schedule: \"0 25 * * *\"\n",
       "c.yml:7: jobs.a.schedule: schedule \"0 25 * * *\": hour \"25\""},
      {std::string(kRepo) + "jobs:\n  a: {source: /x, repository: nope, schedule: \"@daily\"}\n",
       "c.yml:4: jobs.a.repository: no repository \"nope\" under repositories:"},
      {std::string(kRepo) +
           "jobs:\n  a: {source: /x, repository: local, schedule: \"@daily\", retention: gone}\n",
       "jobs.a.retention: no class \"gone\" under retention:"},
      {std::string(kRepo) +
           "jobs:\n  a: {source: /x, repository: local, schedule: \"@daily\", copy_to: [dr]}\n",
       "jobs.a.copy_to: no repository \"dr\""},
      {std::string(kRepo) +
           "jobs:\n  a: {source: /x, repository: local, schedule: \"@daily\", copy_to: local}\n",
       "copies to its own repository"},
      {std::string(kRepo) + "jobs:\n  a: {source: /x, repository: local}\n", "jobs.a: no schedule"},
      {std::string(kRepo) + "jobs:\n  a: {repository: local, schedule: \"@daily\"}\n", "jobs.a: no source"},
      {std::string(kRepo) +
           "jobs:\n  a: {source: /x, repository: local, schedule: \"@daily\", timeout: soon}\n",
       "c.yml:4: jobs.a.timeout: want a duration"},
      {std::string(kRepo) +
           "jobs:\n  a: {source: /x, repository: local, schedule: \"@daily\", retries: {attempts: 0}}\n",
       "jobs.a.retries.attempts: want a whole number of at least 1"},
      {std::string(kRepo) +
           "jobs:\n  a: {source: /x, repository: local, schedule: \"@daily\", hooks: {during: x}}\n",
       "jobs.a.hooks.during: unknown key (known here: post, pre, timeout)"},
      {std::string(kRepo) + "jobs:\n  a: {source: /x, repository: local, schedule: \"@daily\", sorce: /y}\n",
       "c.yml:4: jobs.a.sorce: unknown key"},
      {"repositories:\n  local: {password_file: /p}\n", "c.yml:2: repositories.local: no url"},
      {"repositories:\n  local: {url: /r}\n", "repositories.local: no password"},
      {"repositories:\n  local: {url: /r, password_file: /p, password_env: X}\n", "more than one of"},
      {"retention:\n  ops: {keep_within: forever}\n", "c.yml:2: retention.ops: within: "},
      {"retention:\n  ops: {keep_sometimes: 3}\n", "retention.ops: unknown rule \"sometimes\""},
      {"retention:\n  ops: {}\n", "retention.ops: no rules"},
      {"missed_runs: twice\n", "c.yml:1: missed_runs: want run_once or skip"},
      {"concurrency: {global: 0}\n", "concurrency.global: want a whole number of at least 1"},
      {"concurrency: {local: 1}\n", "concurrency.local: unknown key"},
      {"shutdown_grace: later\n", "shutdown_grace: want a duration"},
      {"notifications:\n  webhooks:\n    - {url: ftp://x}\n",
       "c.yml:3: notifications.webhooks[0].url: want an http"},
      {"notifications:\n  webhooks:\n    - {url: http://x, events: [sometimes]}\n",
       "notifications.webhooks[0].events: event \"sometimes\" is not success, failure or missed"},
      {"notifications:\n  webhooks:\n    - {format: slack}\n", "notifications.webhooks[0]: no url"},
      {"notifications: {webhooks: {url: http://x}}\n", "notifications.webhooks: want a list"},
  };
  for (const auto& c : cases) {
    auto r = ParseConfig(c.yaml, "c.yml", true);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.yaml;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.yaml << "\ngave: " << r.status().message();
  }
}

TEST(Config, NoErrorQuotesAPassword) {
  auto r = ParseConfig("repositories:\n  local: {url: /r, password: s3cr3t-value, password_env: X}\n",
                       "c.yml", true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("s3cr3t"), std::string::npos) << r.status().message();
}

}  // namespace
TEST(Config, ReadsHowServeRunsAndAJobsDriverOptions) {
  auto c = ParseConfig(R"(
concurrency: {global: 4, per_repository: 2}
missed_runs: skip
shutdown_grace: 90s
history: {keep: 30d}
api: {token_file: /etc/lifeboat/token}
notifications:
  webhooks:
    - {url: "http://127.0.0.1:9/hook", format: slack, events: [failure]}
    - {url: "https://hooks.example/x"}
repositories:
  primary: {url: /r, password_file: /p}
jobs:
  cache:
    source: redis://127.0.0.1:6379
    repository: primary
    schedule: "@every 6h"
    options: {redis-password-file: /etc/redis-pw, database: [a, b], no-globals: "false"}
)",
                       "c.yml", true);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->serve.limits.global, 4u);
  EXPECT_EQ(c->serve.limits.per_repository, 2u);
  EXPECT_EQ(c->serve.missed, MissedRule::kSkip);
  EXPECT_EQ(c->serve.shutdown_grace_seconds, 90);
  EXPECT_EQ(c->serve.history_keep_seconds, 30 * 86400);
  EXPECT_EQ(c->serve.api_token_file, "/etc/lifeboat/token");
  ASSERT_EQ(c->serve.webhooks.size(), 2u);
  EXPECT_EQ(c->serve.webhooks[0].format, "slack");
  EXPECT_EQ(c->serve.webhooks[0].events, std::vector<std::string>{"failure"});
  EXPECT_EQ(c->serve.webhooks[1].format, "json");
  EXPECT_EQ(c->serve.webhooks[1].events, (std::vector<std::string>{"failure", "missed"}));
  const ScheduledJob* job = c->FindJob("cache");
  ASSERT_NE(job, nullptr);
  MapOptions o(job->options);
  EXPECT_TRUE(o.Has("redis-password-file"));
  EXPECT_EQ(o.Get("redis-password-file"), "/etc/redis-pw");
  EXPECT_EQ(o.All("database"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(o.Has("no-globals"));
  EXPECT_FALSE(o.Has("force"));
  EXPECT_EQ(o.Get("force", "no"), "no");
  JobTargets t = c->TargetsOf(*job);
  EXPECT_EQ(t.repository.url, "/r");
  EXPECT_FALSE(t.retention.has_value());
}

}  // namespace lifeboat

namespace lifeboat {
namespace {

TEST(Config, APruneScheduleIsAJobThatRunsAloneOnItsRepository) {
  auto c = ParseConfig(R"(repositories:
  primary:
    url: /srv/repo
    password_file: /p
    prune: {schedule: "0 5 * * 0", max_unused: 10%, timeout: 6h}
jobs:
  docs: {source: /etc, repository: primary, schedule: "@daily"}
)",
                       "c.yml", true);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->jobs.size(), 2u);
  EXPECT_EQ(c->jobs[0].name, "docs");
  const ScheduledJob& p = c->jobs[1];
  EXPECT_EQ(p.name, "prune-primary");
  EXPECT_EQ(p.kind, "prune");
  EXPECT_EQ(p.repository, "primary");
  EXPECT_EQ(p.schedule.text(), "0 5 * * 0");
  EXPECT_DOUBLE_EQ(p.prune_max_unused, 0.10);
  EXPECT_EQ(p.timeout_seconds, 6 * 3600);
  EXPECT_EQ(c->jobs[0].kind, "backup");

  auto clash = ParseConfig(R"(repositories:
  primary: {url: /r, password_file: /p, prune: {schedule: "@weekly"}}
jobs:
  prune-primary: {source: /etc, repository: primary, schedule: "@daily"}
)",
                           "c.yml", true);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("c.yml:2: repositories.primary.prune: its job would be named "
                                          "prune-primary"),
            std::string::npos)
      << clash.status().message();
  auto bad = ParseConfig("repositories:\n  r: {url: /r, password_file: /p, prune: {max_unused: lots}}\n",
                         "c.yml", true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("repositories.r.prune.max_unused: want a share such as 5%"),
            std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

TEST(Config, AVerifyScheduleIsTheRestoreTestOfItsJob) {
  auto c = ParseConfig(R"(repositories:
  primary: {url: /srv/repo, password_file: /p, prune: {schedule: "@weekly"}}
jobs:
  pg:
    source: postgres://backup@db1/app
    repository: primary
    schedule: "0 2 * * *"
    copy_to: []
    options: {jobs: "4", format: custom}
    verify: {schedule: "0 4 * * 0", timeout: 3h, options: {jobs: "2"}}
  docs: {source: /etc, repository: primary, schedule: "@daily"}
)",
                       "c.yml", true);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->jobs.size(), 4u);
  EXPECT_EQ(c->jobs[0].name, "pg");
  EXPECT_EQ(c->jobs[1].name, "docs");
  const ScheduledJob& v = c->jobs[2];
  EXPECT_EQ(v.name, "verify-pg");
  EXPECT_EQ(v.kind, "verify");
  EXPECT_EQ(v.for_job, "pg");
  EXPECT_EQ(v.source, "postgres://backup@db1/app");
  EXPECT_EQ(v.repository, "primary");
  EXPECT_EQ(v.type, "postgres");
  EXPECT_EQ(v.schedule.text(), "0 4 * * 0");
  EXPECT_EQ(v.timeout_seconds, 3 * 3600);
  // The backup's options, the restore test's own over them.
  EXPECT_EQ(v.options.at("jobs"), std::vector<std::string>{"2"});
  EXPECT_EQ(v.options.at("format"), std::vector<std::string>{"custom"});
  EXPECT_EQ(c->jobs[3].name, "prune-primary");

  auto clash = ParseConfig(R"(repositories:
  primary: {url: /r, password_file: /p}
jobs:
  docs: {source: /etc, repository: primary, schedule: "@daily", verify: {schedule: "@weekly"}}
  verify-docs: {source: /srv, repository: primary, schedule: "@daily"}
)",
                           "c.yml", true);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("c.yml:4: jobs.docs.verify: its job would be named verify-docs"),
            std::string::npos)
      << clash.status().message();
  auto none = ParseConfig(R"(repositories:
  primary: {url: /r, password_file: /p}
jobs:
  docs: {source: /etc, repository: primary, schedule: "@daily", verify: {timeout: 1h}}
)",
                          "c.yml", true);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("jobs.docs.verify: no schedule"), std::string::npos)
      << none.status().message();
}

}  // namespace
}  // namespace lifeboat

namespace lifeboat {
namespace {

TEST(Config, TheVerifyKeyIsTheWeeklySuiteOfRestoreTests) {
  auto c = ParseConfig(R"(repositories:
  primary: {url: /srv/repo, password_file: /p}
jobs:
  docs: {source: /etc, repository: primary, schedule: "@daily"}
  www: {source: /srv/www, repository: primary, schedule: "@daily"}
verify:
  schedule: "0 4 * * 1"
  jobs: [www]
  timeout: 6h
  options: {sample: 10%}
)",
                       "c.yml", true);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const ScheduledJob* v = c->FindJob("validation");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->kind, "suite");
  EXPECT_EQ(v->schedule.text(), "0 4 * * 1");
  EXPECT_EQ(v->suite_jobs, std::vector<std::string>{"www"});
  EXPECT_EQ(v->timeout_seconds, 6 * 3600);
  EXPECT_EQ(v->options.at("sample"), std::vector<std::string>{"10%"});

  auto unknown = ParseConfig(R"(repositories:
  primary: {url: /r, password_file: /p}
jobs:
  docs: {source: /etc, repository: primary, schedule: "@daily"}
verify: {schedule: "@weekly", jobs: [docs, nosuch]}
)",
                             "c.yml", true);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("c.yml:5: verify.jobs: no backup job \"nosuch\" under jobs:"),
            std::string::npos)
      << unknown.status().message();
  auto none = ParseConfig(R"(repositories:
  primary: {url: /r, password_file: /p}
jobs:
  docs: {source: /etc, repository: primary, schedule: "@daily"}
verify: {jobs: [docs]}
)",
                          "c.yml", true);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("verify: no schedule"), std::string::npos)
      << none.status().message();
}

TEST(Config, AnArchiveCheckWatchesWhatItsJobsSourceArchives) {
  // A stand-in with the PostgreSQL driver's name and an archive to check;
  // the real one asks pg_stat_archiver (tests/integration/pg_physical_test.sh).
  RegisterDriver(Driver{.name = "postgres",
                        .schemes = {"postgres", "postgresql"},
                        .archive_status = [](const std::string&, const OptionView&, Repository&)
                            -> Result<ArchiveStatus> { return ArchiveStatus{}; }});
  auto c = ParseConfig(R"(repositories:
  primary: {url: /srv/repo, password_file: /p}
jobs:
  pg:
    source: postgres://backup@db1/app
    repository: primary
    schedule: "0 2 * * *"
    options: {jobs: "4"}
    archive_check: {schedule: "@every 5m", timeout: 1m}
)",
                       "c.yml", true);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->jobs.size(), 2u);
  const ScheduledJob& a = c->jobs[1];
  EXPECT_EQ(a.name, "archive-pg");
  EXPECT_EQ(a.kind, "archive");
  EXPECT_EQ(a.for_job, "pg");
  EXPECT_EQ(a.source, "postgres://backup@db1/app");
  EXPECT_EQ(a.repository, "primary");
  EXPECT_EQ(a.type, "postgres");
  EXPECT_EQ(a.schedule.interval(), 300);
  EXPECT_EQ(a.timeout_seconds, 60);
  EXPECT_EQ(a.options.at("jobs"), std::vector<std::string>{"4"});

  // A directory has no archive of its own: the key is refused where it is.
  auto files = ParseConfig(R"(repositories:
  primary: {url: /r, password_file: /p}
jobs:
  docs:
    source: /etc
    repository: primary
    schedule: "@daily"
    archive_check: {schedule: "@hourly"}
)",
                           "c.yml", true);
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.status().message().find("c.yml:8: jobs.docs.archive_check: a files source has no archive"),
            std::string::npos)
      << files.status().message();
  auto none = ParseConfig(R"(repositories:
  primary: {url: /r, password_file: /p}
jobs:
  pg: {source: "postgres://u@h/db", repository: primary, schedule: "@daily", archive_check: {}}
)",
                          "c.yml", true);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("jobs.pg.archive_check: no schedule"), std::string::npos)
      << none.status().message();
}

}  // namespace
}  // namespace lifeboat
