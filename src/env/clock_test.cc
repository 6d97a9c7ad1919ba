#include "env/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace lifeboat {
namespace {

TEST(FakeClock, StandsStillUntilAdvanced) {
  FakeClock c;
  Timestamp t0 = c.Now();
  EXPECT_EQ(c.Monotonic(), 0);
  c.Advance(90.5);
  EXPECT_EQ(c.Now().sec, t0.sec + 90);
  EXPECT_EQ(c.Now().nsec, 500000000);
  EXPECT_DOUBLE_EQ(c.Monotonic(), 90.5);
  c.Advance(0.5);  // the half seconds carry into the next second
  EXPECT_EQ(c.Now().sec, t0.sec + 91);
  EXPECT_EQ(c.Now().nsec, 0);
}

TEST(FakeClock, AWaitEndsOnlyWhenTimePassesItsDeadline) {
  FakeClock c;
  std::atomic<bool> done{false};
  bool woken = true;
  std::thread t([&] {
    woken = c.SleepFor(60);
    done = true;
  });
  c.WaitForWaiters(1);
  c.Advance(59);
  // Still waiting: the waiter count says so without a sleep.
  c.WaitForWaiters(1);
  EXPECT_FALSE(done.load());
  c.Advance(1);
  t.join();
  EXPECT_TRUE(done.load());
  EXPECT_FALSE(woken);  // the deadline came; nobody woke it
}

TEST(FakeClock, WakeEndsEveryWait) {
  FakeClock c;
  bool a = false, b = false;
  std::thread ta([&] { a = c.SleepFor(3600); });
  std::thread tb([&] { b = c.SleepFor(7200); });
  c.WaitForWaiters(2);
  c.Wake();
  ta.join();
  tb.join();
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
  EXPECT_EQ(c.Monotonic(), 0);
}

TEST(FakeClock, AWallClockStepDoesNotMoveMonotonicTime) {
  FakeClock c;
  c.SetWall(Timestamp{2000000000, 0});
  EXPECT_EQ(c.Now().sec, 2000000000);
  EXPECT_EQ(c.Monotonic(), 0);
}

TEST(FakeClock, AWakeBeforeTheWaitIsNotLostWhenTheGenerationIsGiven) {
  FakeClock c;
  uint64_t gen = c.Generation();
  c.Wake();  // between the loop's look at its state and its wait
  EXPECT_TRUE(c.WaitUntil(3600, gen));
  EXPECT_EQ(c.Monotonic(), 0);
}

TEST(SystemClock, AWakeBeforeTheWaitIsNotLostWhenTheGenerationIsGiven) {
  Clock* c = Clock::System();
  uint64_t gen = c->Generation();
  c->Wake();
  EXPECT_TRUE(c->WaitUntil(c->Monotonic() + 3600, gen));
}

TEST(SystemClock, AWaitWithAPastDeadlineReturnsAtOnce) {
  Clock* c = Clock::System();
  double now = c->Monotonic();
  EXPECT_FALSE(c->WaitUntil(now - 1));
  EXPECT_GE(c->Monotonic(), now);
}

}  // namespace
}  // namespace lifeboat
