#include "storage/crash_point_storage.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace lifeboat {

std::unique_ptr<Storage> CrashPointStorage::MaybeWrap(std::unique_ptr<Storage> inner) {
  const char* spec = std::getenv("LIFEBOAT_TEST_KILL_AT");
  if (spec == nullptr) return inner;
  std::string s(spec);
  bool after = s.rfind("after:", 0) == 0;
  bool before = s.rfind("before:", 0) == 0;
  if (!after && !before) return inner;
  int n = std::atoi(s.c_str() + (after ? 6 : 7));
  if (n <= 0) return inner;
  return std::make_unique<CrashPointStorage>(std::move(inner), n, after);
}

Status CrashPointStorage::Save(FileType type, std::string_view name, std::string_view data) {
  int n = ++saves_;
  if (n == kill_at_ && !after_) kill(getpid(), SIGKILL);
  Status s = inner_->Save(type, name, data);
  if (n == kill_at_ && after_) kill(getpid(), SIGKILL);
  return s;
}

Status CrashPointStorage::SavePack(std::string_view name, std::string_view data, PackContent content) {
  int n = ++saves_;
  if (n == kill_at_ && !after_) kill(getpid(), SIGKILL);
  Status s = inner_->SavePack(name, data, content);
  if (n == kill_at_ && after_) kill(getpid(), SIGKILL);
  return s;
}

}  // namespace lifeboat

namespace lifeboat {

Status CrashPointStorage::Remove(FileType type, std::string_view name) {
  // Deletions are writes too (prune, lock release): counted with the saves.
  int n = ++saves_;
  if (n == kill_at_ && !after_) kill(getpid(), SIGKILL);
  Status s = inner_->Remove(type, name);
  if (n == kill_at_ && after_) kill(getpid(), SIGKILL);
  return s;
}

}  // namespace lifeboat
