// Counters a long operation updates as it goes, read by whoever shows
// progress (a terminal bar, JSON status lines, or nothing). All atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace lifeboat {

struct ProgressCounters {
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> files_total{0};
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<bool> totals_final{false};  // the scan for totals has finished
  std::atomic<uint64_t> errors{0};

  void SetCurrent(const std::string& item) {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = item;
  }
  std::string current() {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

 private:
  std::mutex mu_;
  std::string current_;
};

// Receives warnings about single items that were skipped (a file that
// vanished or could not be read) while the operation goes on.
class WarningSink {
 public:
  virtual ~WarningSink() = default;
  virtual void Warn(const std::string& message) = 0;
};

}  // namespace lifeboat
