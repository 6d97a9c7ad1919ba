// CrashPointStorage: a decorator for crash tests. It kills its own process
// with SIGKILL at a chosen write (Save or Remove) — just before or after it — so a
// test can stop a backup (or any writer) at every point where the repository
// changes, deterministically, and then prove the repository is still valid.
//
// Enabled only through LIFEBOAT_TEST_KILL_AT=before:N or after:N (N counts
// writes from 1). Never set it outside tests.
#pragma once

#include <atomic>
#include <memory>

#include "storage/storage.h"

namespace lifeboat {

class CrashPointStorage final : public Storage {
 public:
  CrashPointStorage(std::unique_ptr<Storage> inner, int kill_at, bool after)
      : inner_(std::move(inner)), kill_at_(kill_at), after_(after) {}

  // Wraps `inner` if LIFEBOAT_TEST_KILL_AT asks for it; otherwise returns it.
  static std::unique_ptr<Storage> MaybeWrap(std::unique_ptr<Storage> inner);

  std::string Location() const override { return inner_->Location(); }
  Status Create() override { return inner_->Create(); }
  Status Save(FileType type, std::string_view name, std::string_view data) override;
  Status SavePack(std::string_view name, std::string_view data, PackContent content) override;
  Status PrepareRead(FileType type, const std::vector<std::string>& names) override {
    return inner_->PrepareRead(type, names);
  }
  Result<std::string> Load(FileType type, std::string_view name, uint64_t offset,
                           uint64_t length) override {
    return inner_->Load(type, name, offset, length);
  }
  Result<uint64_t> Size(FileType type, std::string_view name) override {
    return inner_->Size(type, name);
  }
  Status List(FileType type, const std::function<void(const ObjectInfo&)>& fn) override {
    return inner_->List(type, fn);
  }
  Status Remove(FileType type, std::string_view name) override;

 private:
  std::unique_ptr<Storage> inner_;
  int kill_at_;
  bool after_;
  std::atomic<int> saves_{0};
};

}  // namespace lifeboat
