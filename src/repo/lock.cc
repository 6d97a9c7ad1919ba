#include "repo/lock.h"

#include <chrono>
#include <set>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "env/env.h"
#include "repo/repository.h"

namespace lifeboat {
namespace {

constexpr int64_t kStaleSeconds = 30 * 60;
constexpr auto kRefreshInterval = std::chrono::minutes(5);

}  // namespace

Result<std::vector<LockInfo>> LoadLocks(Repository& repo) {
  LB_ASSIGN_OR_RETURN(std::vector<Id> ids, repo.ListIds(FileType::kLock));
  std::vector<LockInfo> out;
  for (const Id& id : ids) {
    auto json = repo.LoadUnpacked(FileType::kLock, id);
    if (!json.ok()) {
      // Removed meanwhile, or damaged: a lock nobody can read protects nothing.
      if (json.status().code() == Code::kNotFound || json.status().code() == Code::kCorrupt) continue;
      return json.status();
    }
    auto info = LockInfo::FromJson(*json);
    if (!info.ok()) continue;
    info->id = id;
    out.push_back(std::move(*info));
  }
  return out;
}

std::string LockInfo::ToJson() const {
  nlohmann::ordered_json j;
  j["time"] = FormatRfc3339(time);
  j["exclusive"] = exclusive;
  j["hostname"] = hostname;
  j["username"] = username;
  j["pid"] = pid;
  j["uid"] = uid;
  j["gid"] = gid;
  return j.dump();
}

Result<LockInfo> LockInfo::FromJson(std::string_view json) {
  // Wrong types in the JSON (a string where a number belongs, ...) make
  // nlohmann throw: damaged input, not a crash (found by the lock fuzzer).
  try {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("lock is not a JSON object");
  LockInfo l;
  auto t = j.contains("time") && j["time"].is_string() ? ParseRfc3339(j["time"].get<std::string>())
                                                       : std::nullopt;
  if (!t) return Corrupt("lock has no valid time");
  l.time = *t;
  l.exclusive = j.value("exclusive", false);
  l.hostname = j.value("hostname", std::string());
  l.username = j.value("username", std::string());
  l.pid = j.contains("pid") && j["pid"].is_number_integer() ? j["pid"].get<int64_t>() : 0;
  l.uid = j.contains("uid") && j["uid"].is_number_unsigned() ? j["uid"].get<uint32_t>() : 0;
  l.gid = j.contains("gid") && j["gid"].is_number_unsigned() ? j["gid"].get<uint32_t>() : 0;
  return l;
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("lock: malformed JSON value: ") + e.what());
  }
}

bool LockInfo::IsStale(Timestamp now) const {
  if (now.sec - time.sec > kStaleSeconds) return true;
  if (hostname == HostName() && !ProcessAlive(static_cast<pid_t>(pid))) return true;
  return false;
}

std::string LockInfo::Describe() const {
  return std::string(exclusive ? "an exclusive" : "a shared") + " lock " + id.Short() + " held by PID " +
         std::to_string(pid) + " on " + hostname + " by " + username + " since " + FormatLocal(time);
}

namespace {

// The locks this process holds, for ReleaseAllLocks. Never destroyed, so a
// signal arriving during exit still finds it.
std::mutex& LiveMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::set<RepoLock*>& LiveLocks() {
  static auto* live = new std::set<RepoLock*>;
  return *live;
}

}  // namespace

int ReleaseAllLocks() {
  std::lock_guard<std::mutex> guard(LiveMutex());
  int n = 0;
  for (RepoLock* l : LiveLocks()) n += l->Release().ok() ? 1 : 0;
  return n;
}

Result<std::unique_ptr<RepoLock>> RepoLock::AcquireWithRetry(Repository& repo, bool exclusive, int64_t wait_ms,
                                                             const std::function<void(const Status&)>& on_wait) {
  auto start = std::chrono::steady_clock::now();
  int64_t delay_ms = 250;
  bool told = false;
  while (true) {
    auto acquired = Acquire(repo, exclusive);
    if (acquired.ok()) return acquired;
    int64_t waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    if (acquired.status().code() != Code::kLocked || waited >= wait_ms) {
      if (waited > 0 && acquired.status().code() == Code::kLocked) {
        return Status(Code::kLocked, acquired.status().message() + " (waited " + std::to_string(waited / 1000) + " s)");
      }
      return acquired.status();
    }
    if (!told && on_wait) on_wait(acquired.status());
    told = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(delay_ms, wait_ms - waited)));
    delay_ms = std::min<int64_t>(delay_ms * 2, 5000);
  }
}

Result<std::unique_ptr<RepoLock>> RepoLock::Acquire(Repository& repo, bool exclusive) {
  auto conflict = [&](const std::vector<LockInfo>& locks, const Id* own) -> std::optional<LockInfo> {
    Timestamp now = Now();
    for (const LockInfo& l : locks) {
      if (own != nullptr && l.id == *own) continue;
      if (l.IsStale(now)) continue;
      if (exclusive || l.exclusive) return l;
    }
    return std::nullopt;
  };
  LB_ASSIGN_OR_RETURN(std::vector<LockInfo> before, LoadLocks(repo));
  if (auto c = conflict(before, nullptr)) {
    return Status(Code::kLocked, "repository " + repo.storage().Location() + " is locked: " +
                                     c->Describe() + " (\"lifeboat unlock\" removes stale locks)");
  }
  LockInfo info;
  info.time = Now();
  info.exclusive = exclusive;
  info.hostname = HostName();
  info.username = CurrentUserName();
  info.pid = getpid();
  info.uid = geteuid();
  info.gid = getegid();
  LB_ASSIGN_OR_RETURN(info.id, repo.SaveUnpacked(FileType::kLock, info.ToJson()));
  // Another client may have locked at the same moment: look again, and back
  // off if a conflicting lock appeared.
  LB_ASSIGN_OR_RETURN(std::vector<LockInfo> after, LoadLocks(repo));
  if (auto c = conflict(after, &info.id)) {
    repo.storage().Remove(FileType::kLock, info.id.Hex()).IgnoreError();
    return Status(Code::kLocked, "repository " + repo.storage().Location() + " is locked: " +
                                     c->Describe());
  }
  std::unique_ptr<RepoLock> lock(new RepoLock(repo, std::move(info)));
  lock->refresher_ = std::thread([l = lock.get()] { l->RefreshLoop(); });
  std::lock_guard<std::mutex> guard(LiveMutex());
  LiveLocks().insert(lock.get());
  return lock;
}

void RepoLock::RefreshLoop() {
  std::unique_lock<std::mutex> guard(mu_);
  while (!stopping_) {
    if (cv_.wait_for(guard, kRefreshInterval, [this] { return stopping_; })) break;
    LockInfo fresh = info_;
    fresh.time = Now();
    auto id = repo_.SaveUnpacked(FileType::kLock, fresh.ToJson());
    if (!id.ok()) continue;  // try again next round; the old lock still stands
    repo_.storage().Remove(FileType::kLock, info_.id.Hex()).IgnoreError();
    fresh.id = *id;
    info_ = fresh;
  }
}

Status RepoLock::Release() {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (released_) return Status::Ok();
    released_ = true;
    stopping_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  return repo_.storage().Remove(FileType::kLock, info_.id.Hex());
}

RepoLock::~RepoLock() {
  {
    std::lock_guard<std::mutex> guard(LiveMutex());
    LiveLocks().erase(this);
  }
  Release().IgnoreError();
}

Result<int> RemoveLocks(Repository& repo, bool remove_all) {
  LB_ASSIGN_OR_RETURN(std::vector<LockInfo> locks, LoadLocks(repo));
  int removed = 0;
  Timestamp now = Now();
  for (const LockInfo& l : locks) {
    if (!remove_all && !l.IsStale(now)) continue;
    LB_RETURN_IF_ERROR(repo.storage().Remove(FileType::kLock, l.id.Hex()));
    ++removed;
  }
  return removed;
}

}  // namespace lifeboat
