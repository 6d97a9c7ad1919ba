#include "jobs/history.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace lifeboat {
namespace {

class History : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lifeboat-history.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/history.sqlite";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::unique_ptr<RunHistory> OpenOk(std::string owner = ProcessIdentity(getpid())) {
    auto h = RunHistory::Open(path_, std::move(owner));
    EXPECT_TRUE(h.ok()) << h.status().message();
    return h.ok() ? std::move(*h) : nullptr;
  }
  std::string dir_, path_;
};

// The identity of a process that has ended: a child that lived long enough
// to be named.
std::string DeadProcess() {
  int p[2];
  if (pipe(p) != 0) return "";
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    (void)!read(p[0], &c, 1);
    _exit(0);
  }
  close(p[0]);
  std::string id = ProcessIdentity(pid);
  close(p[1]);
  waitpid(pid, nullptr, 0);
  return id;
}

TEST(ProcessIdentity, NamesALiveProcessAndNotOneThatEnded) {
  std::string me = ProcessIdentity(getpid());
  EXPECT_NE(me, "");
  EXPECT_TRUE(ProcessIdentityAlive(me));
  std::string dead = DeadProcess();
  ASSERT_NE(dead, "");
  EXPECT_NE(dead, me);
  EXPECT_FALSE(ProcessIdentityAlive(dead));
  EXPECT_FALSE(ProcessIdentityAlive("not an identity"));
}

TEST_F(History, RecordsRunsNewestFirstAndKeepsThemAcrossOpens) {
  {
    auto h = OpenOk(DeadProcess());
    ASSERT_TRUE(h);
    auto a = h->Begin("postgres", "postgres", "schedule", Timestamp{1000, 5});
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(h->Finish(*a, Timestamp{1060, 0}, "success", "abc123", 4096, "").ok());
    auto b = h->Begin("redis", "redis", "manual", Timestamp{2000, 0});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(
        h->Finish(*b, Timestamp{2010, 0}, "failure", "", 0, "connect to redis://h:6379: refused").ok());
    auto c = h->Begin("postgres", "postgres", "missed", Timestamp{3000, 0});
    ASSERT_TRUE(c.ok());
    EXPECT_LT(*a, *b);
    EXPECT_LT(*b, *c);
  }
  auto h = OpenOk();  // a new process: the history is still there
  ASSERT_TRUE(h);
  auto all = h->List("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].trigger, "missed");
  // The third run was still going when its process went away.
  EXPECT_EQ((*all)[0].result, "interrupted");
  EXPECT_NE((*all)[0].error.find("ended before it did"), std::string::npos);
  EXPECT_EQ((*all)[1].error, "connect to redis://h:6379: refused");
  const RunRecord& first = (*all)[2];
  EXPECT_EQ(first.job, "postgres");
  EXPECT_EQ(first.start, (Timestamp{1000, 5}));
  EXPECT_EQ(first.end, (Timestamp{1060, 0}));
  EXPECT_EQ(first.result, "success");
  EXPECT_EQ(first.snapshot_id, "abc123");
  EXPECT_EQ(first.bytes_added, 4096u);
  auto pg = h->List("postgres", 1);
  ASSERT_TRUE(pg.ok());
  ASSERT_EQ(pg->size(), 1u);
  EXPECT_EQ((*pg)[0].trigger, "missed");
  auto last = h->Last("postgres", "success");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->snapshot_id, "abc123");
  auto none = h->Last("redis", "success");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(History, FinishOnceAndOnlyWithAnEnd) {
  auto h = OpenOk();
  ASSERT_TRUE(h);
  auto id = h->Begin("j", "files", "manual", Timestamp{10, 0});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(h->Finish(*id, Timestamp{11, 0}, "running", "", 0, "").code(), Code::kInvalidArgument);
  ASSERT_TRUE(h->Finish(*id, Timestamp{11, 0}, "cancelled", "", 0, "timed out after 2h").ok());
  Status again = h->Finish(*id, Timestamp{12, 0}, "success", "x", 0, "");
  EXPECT_EQ(again.code(), Code::kInvalidArgument);
  EXPECT_NE(again.message().find("has ended already (cancelled)"), std::string::npos) << again.message();
  EXPECT_EQ(h->Finish(*id + 100, Timestamp{12, 0}, "success", "", 0, "").code(), Code::kNotFound);
}

TEST_F(History, ExpireDropsOldFinishedRunsOnly) {
  auto h = OpenOk();
  ASSERT_TRUE(h);
  for (int64_t t : {100, 200, 300}) {
    auto id = h->Begin("j", "files", "schedule", Timestamp{t, 0});
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(h->Finish(*id, Timestamp{t + 10, 0}, "success", "", 0, "").ok());
  }
  ASSERT_TRUE(h->Begin("j", "files", "schedule", Timestamp{50, 0}).ok());  // still running
  auto n = h->Expire(Timestamp{250, 0});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  auto left = h->List("j");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].result, "running");
  EXPECT_EQ((*left)[1].start.sec, 300);
}

TEST_F(History, ThreadsRecordAtOnce) {
  auto h = OpenOk();
  ASSERT_TRUE(h);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 25; ++i) {
        auto id = h->Begin("job" + std::to_string(t), "files", "schedule", Timestamp{i, 0});
        ASSERT_TRUE(id.ok());
        ASSERT_TRUE(h->Finish(*id, Timestamp{i + 1, 0}, "success", "", uint64_t(i), "").ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto all = h->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 100u);
  auto one = h->List("job2");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 25u);
}

TEST_F(History, AFileThatIsNoDatabaseIsAClearError) {
  std::ofstream(path_) << "this is not an SQLite database, but it is long enough to have a header of sorts\n";
  auto h = RunHistory::Open(path_);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Code::kIoError);
  EXPECT_NE(h.status().message().find("run history " + path_), std::string::npos) << h.status().message();
  auto missing = RunHistory::Open(dir_ + "/no/such/dir/history.sqlite");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no/such/dir"), std::string::npos);
}

}  // namespace
TEST_F(History, ARunOfALiveProcessStaysRunningWhenAnotherOpens) {
  auto daemon = OpenOk();  // this process: alive
  ASSERT_TRUE(daemon);
  auto id = daemon->Begin("postgres", "postgres", "schedule", Timestamp{1000, 0});
  ASSERT_TRUE(id.ok());
  auto cli = OpenOk("another");  // `lifeboat runs` while the daemon works
  ASSERT_TRUE(cli);
  auto all = cli->List("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].result, "running");
  ASSERT_TRUE(daemon->Finish(*id, Timestamp{1010, 0}, "success", "ab", 1, "", R"({"snapshot_size":7})").ok());
  auto last = cli->Last("postgres", "success");
  ASSERT_TRUE(last.ok() && *last);
  EXPECT_EQ((*last)->details, R"({"snapshot_size":7})");
}

}  // namespace lifeboat
