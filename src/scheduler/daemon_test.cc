#include "scheduler/daemon.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <thread>

namespace lifeboat {
namespace {

constexpr const char* kSuccess = R"({"result":"success","snapshot_id":"ab12cd34","bytes_added":42})";
constexpr const char* kFailure = R"({"result":"failure","error":"source /srv/x: not found","code":13})";

// The events the daemon tells, for a test to wait on without sleeping.
class Events {
 public:
  void Push(const JobEvent& e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
    cv_.notify_all();
  }
  void Log(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    logs_.push_back(line);
    cv_.notify_all();
  }
  // Blocks until a log line holding `text` was written.
  void WaitForLog(const std::string& text) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      for (const std::string& l : logs_) {
        if (l.find(text) != std::string::npos) return true;
      }
      return false;
    });
  }
  JobEvent Next() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !events_.empty(); });
    JobEvent e = events_.front();
    events_.pop_front();
    return e;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<JobEvent> events_;
  std::vector<std::string> logs_;
};

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lifeboat-daemon.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fifo_ = dir_ + "/gate";
    ASSERT_EQ(mkfifo(fifo_.c_str(), 0600), 0);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  ScheduledJob Job(const std::string& name, const std::string& schedule, const std::string& repo = "r") {
    ScheduledJob j;
    j.name = name;
    j.type = "files";
    j.source = "/srv/" + name;
    j.repository = repo;
    j.schedule = Schedule::Parse(schedule).value();
    return j;
  }
  Config MakeConfig(std::vector<ScheduledJob> jobs) {
    Config c;
    c.state_dir = dir_ + "/state";
    c.jobs = std::move(jobs);
    c.serve.shutdown_grace_seconds = 60;
    c.serve.limits = Limits{4, 2};
    return c;
  }
  // Each job's attempt prints outcome_[job] (a job named "gated" first
  // waits until the test writes a line to the fifo).
  std::unique_ptr<Daemon> Open(Config config) {
    DaemonOptions o;
    o.clock = &clock_;
    o.kill_grace_seconds = 5;
    o.command = [this](const ScheduledJob& job) {
      std::string json;
      {
        std::lock_guard<std::mutex> lock(mu_);
        json = outcome_.count(job.name) ? outcome_[job.name] : kSuccess;
      }
      std::string gate = job.name.starts_with("gated") ? "read line < \"$1\"; " : "";
      return AttemptCommand{{"/bin/sh", "-c", gate + "printf '%s\\n' \"$0\"", json, fifo_}, {}, -1};
    };
    o.on_event = [this](const JobEvent& e) { events_.Push(e); };
    o.log = [this](const std::string& line) { events_.Log(line); };
    auto d = Daemon::Open(std::move(config), o);
    EXPECT_TRUE(d.ok()) << d.status().message();
    return d.ok() ? std::move(*d) : nullptr;
  }
  void Release() { std::ofstream(fifo_) << "go\n"; }
  void SetOutcome(const std::string& job, const std::string& json) {
    std::lock_guard<std::mutex> lock(mu_);
    outcome_[job] = json;
  }

  FakeClock clock_{Timestamp{1764633600, 0}};  // 2025-12-02 00:00:00 UTC
  Events events_;
  std::string dir_, fifo_;
  std::mutex mu_;
  std::map<std::string, std::string> outcome_;
};

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST_F(DaemonTest, RunsAJobWhenItsScheduleFiresAndTheMetricsFollow) {
  auto d = Open(MakeConfig({Job("docs", "@every 10s")}));
  ASSERT_TRUE(d);
  std::thread loop([&] { d->Run(); });
  clock_.WaitForWaitsStarted(1);
  EXPECT_TRUE(Has(d->Metrics(), "lifeboat_job_next_run_timestamp_seconds{job=\"docs\"} 1764633610"));
  EXPECT_EQ(d->Metrics().find("backup_success{"), std::string::npos);  // no run yet
  clock_.Advance(10);
  JobEvent e = events_.Next();
  EXPECT_EQ(e.kind, "success");
  EXPECT_EQ(e.run.trigger, "schedule");
  EXPECT_EQ(e.run.snapshot_id, "ab12cd34");
  EXPECT_TRUE(Has(d->Metrics(), "backup_success{type=\"files\"} 1"));

  SetOutcome("docs", kFailure);
  clock_.Advance(10);
  e = events_.Next();
  EXPECT_EQ(e.kind, "failure");
  EXPECT_EQ(e.error, "source /srv/x: not found");
  EXPECT_TRUE(Has(d->Metrics(), "backup_success{type=\"files\"} 0"));
  d->Shutdown("test");
  loop.join();
  auto runs = d->Runs("docs", 0);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].result, "failure");
  EXPECT_EQ((*runs)[1].result, "success");
}

TEST_F(DaemonTest, ATriggerStartsARunAndASecondOneIsBusy) {
  auto d = Open(MakeConfig({Job("gated", "@daily")}));
  ASSERT_TRUE(d);
  std::thread loop([&] { d->Run(); });
  auto first = d->Trigger("gated", 60);
  ASSERT_EQ(first.result, Daemon::TriggerResult::kStarted);
  EXPECT_GT(first.run_id, 0);
  EXPECT_EQ(d->Trigger("gated", 0).result, Daemon::TriggerResult::kBusy);
  EXPECT_EQ(d->Trigger("nope", 0).result, Daemon::TriggerResult::kUnknown);
  d->Jobs([](const std::vector<JobStatus>& jobs) {
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_TRUE(jobs[0].running);
  });
  Release();
  JobEvent e = events_.Next();
  EXPECT_EQ(e.run.id, first.run_id);
  EXPECT_EQ(e.run.trigger, "manual");
  d->Shutdown("test");
  loop.join();
  EXPECT_EQ(d->Trigger("gated", 0).result, Daemon::TriggerResult::kStopping);
}

TEST_F(DaemonTest, ShutdownWaitsOutTheGraceThenCancels) {
  auto d = Open(MakeConfig({Job("gated", "@daily")}));
  ASSERT_TRUE(d);
  std::thread loop([&] { d->Run(); });
  ASSERT_EQ(d->Trigger("gated", 60).result, Daemon::TriggerResult::kStarted);
  d->Shutdown("lifeboat serve is shutting down");
  EXPECT_FALSE(d->ready());
  // The loop now waits out the grace period on the clock; past it, the
  // attempt (blocked on the fifo) is stopped.
  events_.WaitForLog("shutting down: waiting up to 1m");
  clock_.Advance(61);
  JobEvent e = events_.Next();
  EXPECT_EQ(e.kind, "failure");
  EXPECT_EQ(e.run.result, "cancelled");
  EXPECT_EQ(e.error, "lifeboat serve is shutting down");
  loop.join();
}

TEST_F(DaemonTest, ASecondShutdownCancelsWithoutTheGrace) {
  auto d = Open(MakeConfig({Job("gated", "@daily")}));
  ASSERT_TRUE(d);
  std::thread loop([&] { d->Run(); });
  ASSERT_EQ(d->Trigger("gated", 60).result, Daemon::TriggerResult::kStarted);
  d->Shutdown("lifeboat serve is shutting down");
  events_.WaitForLog("shutting down: waiting up to 1m");
  d->Shutdown("lifeboat serve is shutting down");  // the clock stays: no grace passes
  events_.WaitForLog("shutting down: asked again, cancelling the running jobs now");
  JobEvent e = events_.Next();
  EXPECT_EQ(e.run.result, "cancelled");
  EXPECT_EQ(e.error, "lifeboat serve is shutting down");
  loop.join();
}

TEST_F(DaemonTest, AJobThatFinishesWithinTheGraceIsNotCancelled) {
  auto d = Open(MakeConfig({Job("gated", "@daily")}));
  ASSERT_TRUE(d);
  std::thread loop([&] { d->Run(); });
  ASSERT_EQ(d->Trigger("gated", 60).result, Daemon::TriggerResult::kStarted);
  d->Shutdown("test");
  Release();
  EXPECT_EQ(events_.Next().run.result, "success");
  loop.join();
}

TEST_F(DaemonTest, AScheduleThatFiredWhileDownRunsOnceAtStart) {
  Config c = MakeConfig({Job("docs", "@every 1h")});
  {
    ASSERT_EQ(mkdir(c.state_dir.c_str(), 0700), 0);
    auto h = RunHistory::Open(c.HistoryPath());
    ASSERT_TRUE(h.ok());
    Timestamp t{clock_.Now().sec - 7200, 0};  // ran two hours ago: the last fire time was missed
    int64_t id = (*h)->Begin("docs", "files", "schedule", t).value();
    ASSERT_TRUE((*h)->Finish(id, Timestamp{t.sec + 5, 0}, "success", "ab12", 1, "").ok());
  }
  auto d = Open(c);
  ASSERT_TRUE(d);
  std::thread loop([&] { d->Run(); });
  JobEvent missed = events_.Next();
  EXPECT_EQ(missed.kind, "missed");
  EXPECT_EQ(missed.job, "docs");
  JobEvent ran = events_.Next();
  EXPECT_EQ(ran.kind, "success");
  EXPECT_EQ(ran.run.trigger, "missed");
  EXPECT_TRUE(Has(d->Metrics(), "lifeboat_job_missed_runs_total{job=\"docs\"} 1"));
  d->Shutdown("test");
  loop.join();
}

TEST_F(DaemonTest, AFireTimeDuringARunIsMissedNotRunTwice) {
  auto d = Open(MakeConfig({Job("gated", "@every 10s")}));
  ASSERT_TRUE(d);
  std::thread loop([&] { d->Run(); });
  clock_.WaitForWaitsStarted(1);
  clock_.Advance(10);  // starts; blocks on the fifo
  clock_.WaitForWaitsStarted(2);
  clock_.Advance(10);  // fires again while it runs
  JobEvent e = events_.Next();
  EXPECT_EQ(e.kind, "missed");
  EXPECT_EQ(e.job, "gated");
  Release();
  EXPECT_EQ(events_.Next().kind, "success");
  d->Shutdown("test");
  loop.join();
  EXPECT_EQ(d->Runs("gated", 0).value().size(), 1u);
}

TEST_F(DaemonTest, ReloadAddsAJobAndKeepsTheRunningOne) {
  auto d = Open(MakeConfig({Job("gated", "@daily")}));
  ASSERT_TRUE(d);
  std::thread loop([&] { d->Run(); });
  ASSERT_EQ(d->Trigger("gated", 60).result, Daemon::TriggerResult::kStarted);
  Config next = MakeConfig({Job("gated", "@daily"), Job("docs", "@daily", "r2")});
  next.listen = "0.0.0.0:1";
  auto warnings = d->Reload(next);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("listen changes at the next start"), std::string::npos);
  auto docs = d->Trigger("docs", 60);
  EXPECT_EQ(docs.result, Daemon::TriggerResult::kStarted);
  JobEvent e = events_.Next();
  EXPECT_EQ(e.job, "docs");
  Release();
  e = events_.Next();
  EXPECT_EQ(e.job, "gated");
  EXPECT_EQ(e.run.result, "success");
  d->Shutdown("test");
  loop.join();
}

}  // namespace
}  // namespace lifeboat
