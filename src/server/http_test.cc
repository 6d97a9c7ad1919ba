#include "server/http.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/notify.h"

namespace lifeboat {
namespace {

using nlohmann::json;

// A daemon on a FakeClock whose job "gated" blocks on a fifo until the
// test releases it, behind a real HTTP server on a free loopback port.
class Api : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lifeboat-api.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fifo_ = dir_ + "/gate";
    ASSERT_EQ(mkfifo(fifo_.c_str(), 0600), 0);
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown("test");
    if (loop_.joinable()) loop_.join();  // no grace: a gated attempt is stopped
    server_.reset();
    daemon_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }
  void Start(std::string token) {
    Config c;
    c.state_dir = dir_ + "/state";
    c.serve.shutdown_grace_seconds = 0;
    ScheduledJob j;
    j.name = "gated";
    j.type = "postgres";
    j.source = "postgres://app:s3cret@db1:5432/app";
    j.repository = "primary";
    j.schedule = Schedule::Parse("0 2 * * *").value();
    c.jobs.push_back(j);
    DaemonOptions o;
    o.clock = &clock_;
    o.log = [](const std::string&) {};
    const std::string fifo = fifo_;
    o.command = [fifo](const ScheduledJob&) {
      return AttemptCommand{
          {"/bin/sh", "-c", "read line < \"$0\"; echo '{\"result\":\"success\",\"snapshot_id\":\"ab\"}'",
           fifo},
          {},
          -1};
    };
    auto d = Daemon::Open(c, o);
    ASSERT_TRUE(d.ok()) << d.status().message();
    daemon_ = std::move(*d);
    loop_ = std::thread([this] { daemon_->Run(); });
    auto s = ApiServer::Start(daemon_.get(), "127.0.0.1:0", Secret(std::move(token)));
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>(server_->url());
  }
  FakeClock clock_;
  std::string dir_, fifo_;
  std::unique_ptr<Daemon> daemon_;
  std::thread loop_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(Api, HealthMetricsAndJobs) {
  Start("");
  auto h = client_->Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("lifeboat_job_running{job=\"gated\"} 0"), std::string::npos);
  EXPECT_EQ(m->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  auto j = client_->Get("/api/v1/jobs");
  ASSERT_TRUE(j);
  ASSERT_EQ(j->status, 200);
  json jobs = json::parse(j->body);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["name"], "gated");
  EXPECT_EQ(jobs[0]["schedule"], "0 2 * * *");
  EXPECT_EQ(jobs[0]["next_run"], "2026-01-01T02:00:00Z");
  EXPECT_EQ(jobs[0]["source"], "postgres://app:***@db1:5432/app");
  EXPECT_EQ(j->body.find("s3cret"), std::string::npos);
  EXPECT_TRUE(jobs[0]["last_run"].is_null());
  auto missing = client_->Get("/api/v1/jobs/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"], "no job \"nope\"");
  auto nowhere = client_->Get("/nowhere");
  ASSERT_TRUE(nowhere);
  EXPECT_EQ(nowhere->status, 404);
}

TEST_F(Api, ATriggeredRunAnswers202ThenA409WhileItRuns) {
  Start("");
  auto first = client_->Post("/api/v1/jobs/gated/run", "", "application/json");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 202) << first->body;
  json body = json::parse(first->body);
  EXPECT_GT(body["run_id"].get<int64_t>(), 0);
  auto second = client_->Post("/api/v1/jobs/gated/run", "", "application/json");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409);
  auto unknown = client_->Post("/api/v1/jobs/nope/run", "", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto runs = client_->Get("/api/v1/runs?job=gated");
  ASSERT_TRUE(runs);
  json list = json::parse(runs->body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], body["run_id"]);
  EXPECT_EQ(list[0]["result"], "running");
  auto bad = client_->Get("/api/v1/runs?limit=many");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(Api, TheTokenGuardsTheApiButNotMetricsOrHealth) {
  Start("t0ken");
  auto none = client_->Get("/api/v1/jobs");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  auto wrong = client_->Get("/api/v1/jobs", {{"Authorization", "Bearer t0kem"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(wrong->body.find("t0ken"), std::string::npos);
  auto post = client_->Post("/api/v1/jobs/gated/run", "", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401);
  auto right = client_->Get("/api/v1/jobs", {{"Authorization", "Bearer t0ken"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  auto ready = client_->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  server_->SetToken(Secret("other"));
  auto old = client_->Get("/api/v1/jobs", {{"Authorization", "Bearer t0ken"}});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 401);
}

TEST_F(Api, AnAddressInUseIsAClearError) {
  Start("");
  std::string listen = server_->url().substr(std::string("http://").size());
  auto again = ApiServer::Start(daemon_.get(), listen, Secret());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("listen " + listen + ": cannot bind"), std::string::npos);
  auto malformed = ApiServer::Start(daemon_.get(), "9471", Secret());
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find("want HOST:PORT"), std::string::npos);
}

TEST(MaskUrlPassword, MasksOnlyThePassword) {
  EXPECT_EQ(MaskUrlPassword("postgres://app:pw@db1/app"), "postgres://app:***@db1/app");
  EXPECT_EQ(MaskUrlPassword("postgres://app@db1/app"), "postgres://app@db1/app");
  EXPECT_EQ(MaskUrlPassword("redis://:pw@cache:6379"), "redis://:***@cache:6379");
  EXPECT_EQ(MaskUrlPassword("/etc/app"), "/etc/app");
  EXPECT_EQ(MaskUrlPassword("s3:host/bucket"), "s3:host/bucket");
}

TEST(Notifier, BodiesNameTheJobAndTheErrorOnly) {
  JobEvent e;
  e.kind = "failure";
  e.job = "postgres";
  e.type = "postgres";
  e.error = "source postgres://backup@db1/app: connection refused";
  e.run.id = 7;
  e.run.job = "postgres";
  e.run.result = "failure";
  json j = json::parse(Notifier::JsonBody(e, "backup-1"));
  EXPECT_EQ(j["event"], "failure");
  EXPECT_EQ(j["host"], "backup-1");
  EXPECT_EQ(j["run"]["id"], 7);
  json s = json::parse(Notifier::SlackBody(e, "backup-1"));
  EXPECT_EQ(
      s["text"],
      "lifeboat: job postgres failed on backup-1: source postgres://backup@db1/app: connection refused");
}

}  // namespace
}  // namespace lifeboat
