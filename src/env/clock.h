// Clock: wall time, a monotonic time and waiting, behind one interface, so
// that time-driven code (the scheduler, retention by age, timeouts) runs in
// tests on a FakeClock that moves only when the test says, instead of on
// sleeps.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "base/timefmt.h"

namespace lifeboat {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC).
  virtual Timestamp Now() = 0;
  // Seconds since an arbitrary start; never goes back.
  virtual double Monotonic() = 0;
  // Waits until Monotonic() >= deadline, or until Wake() is called (then
  // returns true early). Spurious returns do not happen.
  virtual bool WaitUntil(double deadline) = 0;
  // The same, but returns at once if Wake() was called since Generation()
  // returned `generation`: a loop reads the generation under its own lock,
  // releases the lock and waits, and a Wake() in between is not lost.
  virtual bool WaitUntil(double deadline, uint64_t generation) = 0;
  // Counts the calls of Wake().
  virtual uint64_t Generation() = 0;
  // Ends every wait now in progress (a daemon shutting down).
  virtual void Wake() = 0;
  bool SleepFor(double seconds) { return WaitUntil(Monotonic() + seconds); }

  // The machine's clock (one per process).
  static Clock* System();
};

// Time stands still until Advance or Set. WaitUntil blocks until the test
// advances past the deadline (or calls Wake); WaitForWaiters lets a test
// learn, without sleeping, that the code under test is now waiting.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = Timestamp{1767225600, 0});  // 2026-01-01 00:00:00 UTC
  Timestamp Now() override;
  double Monotonic() override;
  bool WaitUntil(double deadline) override;
  bool WaitUntil(double deadline, uint64_t generation) override;
  uint64_t Generation() override;
  void Wake() override;

  // Moves both times forward by `seconds` (>= 0) and wakes the waits due.
  void Advance(double seconds);
  // Moves the wall clock alone (a clock step: NTP, a DST test); the
  // monotonic time does not jump.
  void SetWall(Timestamp t);
  // Blocks until at least n threads are inside WaitUntil.
  void WaitForWaiters(int n);
  // Blocks until WaitUntil has been called at least n times in all (the
  // n-th wait has begun, whatever became of the earlier ones).
  void WaitForWaitsStarted(uint64_t n);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  Timestamp wall_;
  double mono_ = 0;
  int waiters_ = 0;
  uint64_t waits_started_ = 0;
  uint64_t wake_generation_ = 0;
};

}  // namespace lifeboat
