#include "storage/retry_storage.h"

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

namespace lifeboat {
namespace {

int EnvInt(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  int n = std::atoi(v);
  return n < lo ? lo : n > hi ? hi : n;
}

Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

RetryingStorage::RetryingStorage(std::unique_ptr<Storage> inner)
    : inner_(std::move(inner)),
      attempts_(EnvInt("LIFEBOAT_RETRY_ATTEMPTS", 8, 1, 100)),
      base_ms_(EnvInt("LIFEBOAT_RETRY_BASE_MS", 200, 0, 60000)) {}

template <typename Fn>
auto RetryingStorage::Retry(const char* what, Fn fn) -> decltype(fn()) {
  thread_local std::minstd_rand rng(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    auto result = fn();
    Status s = StatusOf(result);
    if (s.code() != Code::kUnavailable) return result;
    if (attempt >= attempts_) {
      return Status(Code::kUnavailable, s.message() + " (" + what + " gave up after " + std::to_string(attempt) +
                                            " attempts)");
    }
    counters_.retries.fetch_add(1, std::memory_order_relaxed);
    // Full jitter: a random delay up to base * 2^attempt, capped at 20 s.
    long cap = std::min<long>(20000, static_cast<long>(base_ms_) << std::min(attempt, 16));
    long delay = cap > 0 ? static_cast<long>(rng() % static_cast<unsigned long>(cap + 1)) : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
}

Status RetryingStorage::Create() {
  return Retry("create", [&] { return inner_->Create(); });
}

Status RetryingStorage::Save(FileType type, std::string_view name, std::string_view data) {
  Status s = Retry("save", [&] { return inner_->Save(type, name, data); });
  if (s.ok()) counters_.bytes_written.fetch_add(data.size(), std::memory_order_relaxed);
  return s;
}

Status RetryingStorage::SavePack(std::string_view name, std::string_view data, PackContent content) {
  Status s = Retry("save", [&] { return inner_->SavePack(name, data, content); });
  if (s.ok()) counters_.bytes_written.fetch_add(data.size(), std::memory_order_relaxed);
  return s;
}

Result<std::string> RetryingStorage::Load(FileType type, std::string_view name, uint64_t offset,
                                          uint64_t length) {
  auto r = Retry("load", [&] { return inner_->Load(type, name, offset, length); });
  if (r.ok()) counters_.bytes_read.fetch_add(r->size(), std::memory_order_relaxed);
  return r;
}

Result<uint64_t> RetryingStorage::Size(FileType type, std::string_view name) {
  return Retry("size", [&] { return inner_->Size(type, name); });
}

Status RetryingStorage::List(FileType type, const std::function<void(const ObjectInfo&)>& fn) {
  // A listing that fails half-way is started again; the caller sees each
  // entry once, after the listing completed.
  std::vector<ObjectInfo> items;
  Status s = Retry("list", [&] {
    items.clear();
    return inner_->List(type, [&](const ObjectInfo& o) { items.push_back(o); });
  });
  if (!s.ok()) return s;
  for (const ObjectInfo& o : items) fn(o);
  return Status::Ok();
}

Status RetryingStorage::Remove(FileType type, std::string_view name) {
  return Retry("remove", [&] { return inner_->Remove(type, name); });
}

}  // namespace lifeboat
