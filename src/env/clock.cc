#include "env/clock.h"

#include <chrono>
#include <cmath>

namespace lifeboat {
namespace {

class SystemClock final : public Clock {
 public:
  Timestamp Now() override { return lifeboat::Now(); }
  double Monotonic() override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  bool WaitUntil(double deadline) override { return WaitUntil(deadline, Generation()); }
  bool WaitUntil(double deadline, uint64_t gen) override {
    std::unique_lock<std::mutex> lock(mu_);
    while (generation_ == gen) {
      double left = deadline - Monotonic();
      if (left <= 0) return false;
      cv_.wait_for(lock, std::chrono::duration<double>(left));
    }
    return true;
  }
  uint64_t Generation() override {
    std::lock_guard<std::mutex> lock(mu_);
    return generation_;
  }
  void Wake() override {
    std::lock_guard<std::mutex> lock(mu_);
    generation_++;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
};

}  // namespace

Clock* Clock::System() {
  static SystemClock clock;
  return &clock;
}

FakeClock::FakeClock(Timestamp start) : wall_(start) {}

Timestamp FakeClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  return wall_;
}

double FakeClock::Monotonic() {
  std::lock_guard<std::mutex> lock(mu_);
  return mono_;
}

bool FakeClock::WaitUntil(double deadline) { return WaitUntil(deadline, Generation()); }

uint64_t FakeClock::Generation() {
  std::lock_guard<std::mutex> lock(mu_);
  return wake_generation_;
}

bool FakeClock::WaitUntil(double deadline, uint64_t gen) {
  std::unique_lock<std::mutex> lock(mu_);
  waiters_++;
  waits_started_++;
  cv_.notify_all();  // WaitForWaiters
  while (mono_ < deadline && wake_generation_ == gen) cv_.wait(lock);
  waiters_--;
  return wake_generation_ != gen;
}

void FakeClock::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  wake_generation_++;
  cv_.notify_all();
}

void FakeClock::Advance(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  if (seconds < 0) seconds = 0;
  mono_ += seconds;
  double whole = std::floor(seconds);
  int64_t nsec = wall_.nsec + static_cast<int64_t>(std::llround((seconds - whole) * 1e9));
  wall_.sec += static_cast<int64_t>(whole) + nsec / 1000000000;
  wall_.nsec = static_cast<int32_t>(nsec % 1000000000);
  cv_.notify_all();
}

void FakeClock::SetWall(Timestamp t) {
  std::lock_guard<std::mutex> lock(mu_);
  wall_ = t;
}

void FakeClock::WaitForWaiters(int n) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return waiters_ >= n; });
}

void FakeClock::WaitForWaitsStarted(uint64_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return waits_started_ >= n; });
}

}  // namespace lifeboat
