// FaultStorage: a decorator for tests that makes a share of storage requests
// fail the way networks and servers fail — an error answer (503), a timeout,
// a connection cut in the middle of the body (for a write: sometimes after
// the server stored the object, so the client's retry overwrites it) — and
// can make the store disappear for good after a number of requests.
//
// Enabled only through LIFEBOAT_TEST_FAULTS, e.g. "rate=0.2,seed=7" or
// "dead_after=40": those faults are kUnavailable, which RetryingStorage
// retries. "nospace_after=N" fails every write after the N-th with ENOSPC
// (a full disk), "eio_after=N" every read after the N-th with EIO: errors no
// retry can fix. For a local repository, "rename_fail_after=N" makes every
// rename into place after the N-th fail with EIO and "max_write=B" cuts
// buffered writes into short writes of B bytes (LocalStorage's test seam).
// Never set it outside tests.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <random>

#include "storage/storage.h"

namespace lifeboat {

class FaultStorage final : public Storage {
 public:
  FaultStorage(std::unique_ptr<Storage> inner, double rate, uint64_t seed, long dead_after,
               long nospace_after = -1, long eio_after = -1);

  // Wraps `inner` if LIFEBOAT_TEST_FAULTS asks for it; otherwise returns it.
  static Result<std::unique_ptr<Storage>> MaybeWrap(std::unique_ptr<Storage> inner);

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

 private:
  enum class Fault { kNone, kError, kTimeout, kCutBefore, kCutAfter, kDead };
  Fault Next();
  static Status FaultStatus(Fault f, std::string_view what);
  // A write through the injected faults; `save` does it.
  Status Faulty(FileType type, std::string_view name, const std::function<Status()>& save);

  std::unique_ptr<Storage> inner_;
  double rate_;
  long dead_after_;
  long nospace_after_, eio_after_;
  std::atomic<long> writes_{0}, reads_{0};
  std::mutex mu_;
  std::mt19937_64 rng_;
  long calls_ = 0;
};

}  // namespace lifeboat
