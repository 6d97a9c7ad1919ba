// Repository locks (locks/<id>), compatible with restic: any number of shared
// locks, or one exclusive lock and no other. A lock older than 30 minutes, or
// one from this host whose process is gone, is stale and ignored. A held lock
// is refreshed every 5 minutes.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "base/timefmt.h"
#include "repo/id.h"

namespace lifeboat {

class Repository;

struct LockInfo {
  Id id;
  Timestamp time;
  bool exclusive = false;
  std::string hostname;
  std::string username;
  int64_t pid = 0;
  uint32_t uid = 0, gid = 0;

  std::string ToJson() const;
  static Result<LockInfo> FromJson(std::string_view json);
  // Stale: older than 30 minutes, or from this host and its process is gone.
  bool IsStale(Timestamp now) const;
  std::string Describe() const;
};

class RepoLock {
 public:
  // Takes a lock or fails with kLocked naming the holder.
  static Result<std::unique_ptr<RepoLock>> Acquire(Repository& repo, bool exclusive);
  // Acquire, retried while another client holds a conflicting lock, for up
  // to `wait_ms` (0: one try), backing off from 250 ms to 5 s. `on_wait` is
  // told the holder once, when the first retry starts.
  static Result<std::unique_ptr<RepoLock>> AcquireWithRetry(Repository& repo, bool exclusive, int64_t wait_ms,
                                                            const std::function<void(const Status&)>& on_wait);
  ~RepoLock();

  // Removes the lock file now (the destructor does it too).
  Status Release();

 private:
  RepoLock(Repository& repo, LockInfo info) : repo_(repo), info_(std::move(info)) {}
  void RefreshLoop();

  Repository& repo_;
  LockInfo info_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool released_ = false;
  std::thread refresher_;
};

// Releases every lock this process holds (for SIGINT/SIGTERM/SIGHUP: the
// handler's thread calls it, then exits). Safe against locks being released
// or destroyed at the same time. Returns how many it released.
int ReleaseAllLocks();

// The repository's locks (unreadable ones left out: they protect nothing).
Result<std::vector<LockInfo>> LoadLocks(Repository& repo);

// Removes stale locks (all locks with remove_all). Returns how many.
Result<int> RemoveLocks(Repository& repo, bool remove_all);

}  // namespace lifeboat
