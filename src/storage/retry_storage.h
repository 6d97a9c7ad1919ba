// RetryingStorage: retries operations that fail with kUnavailable (dropped
// connections, timeouts, 5xx, throttling) with exponential backoff and full
// jitter, and counts requests. Wraps every storage OpenStorage returns.
// Attempts and the base delay can be set with LIFEBOAT_RETRY_ATTEMPTS
// (default 8) and LIFEBOAT_RETRY_BASE_MS (default 200; the delay doubles up
// to 20 s).
#pragma once

#include <atomic>
#include <memory>

#include "storage/storage.h"

namespace lifeboat {

struct StorageCounters {
  std::atomic<uint64_t> requests{0};  // attempts, retries included
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> bytes_read{0};
};

class RetryingStorage final : public Storage {
 public:
  explicit RetryingStorage(std::unique_ptr<Storage> inner);

  std::string Location() const override { return inner_->Location(); }
  Status Create() override;
  Status Save(FileType type, std::string_view name, std::string_view data) override;
  Status SavePack(std::string_view name, std::string_view data, PackContent content) override;
  Status PrepareRead(FileType type, const std::vector<std::string>& names) override {
    return inner_->PrepareRead(type, names);
  }
  Result<std::string> Load(FileType type, std::string_view name, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Size(FileType type, std::string_view name) override;
  Status List(FileType type, const std::function<void(const ObjectInfo&)>& fn) override;
  Status Remove(FileType type, std::string_view name) override;

  const StorageCounters& counters() const { return counters_; }

 private:
  template <typename Fn>
  auto Retry(const char* what, Fn fn) -> decltype(fn());

  std::unique_ptr<Storage> inner_;
  int attempts_;
  int base_ms_;
  StorageCounters counters_;
};

}  // namespace lifeboat
