#include "storage/fault_storage.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "storage/local/local_storage.h"

namespace lifeboat {

FaultStorage::FaultStorage(std::unique_ptr<Storage> inner, double rate, uint64_t seed, long dead_after,
                           long nospace_after, long eio_after)
    : inner_(std::move(inner)),
      rate_(rate),
      dead_after_(dead_after),
      nospace_after_(nospace_after),
      eio_after_(eio_after),
      rng_(seed) {}

Result<std::unique_ptr<Storage>> FaultStorage::MaybeWrap(std::unique_ptr<Storage> inner) {
  const char* spec = std::getenv("LIFEBOAT_TEST_FAULTS");
  if (spec == nullptr || *spec == '\0') return inner;
  double rate = 0;
  uint64_t seed = 1;
  long dead_after = -1, nospace_after = -1, eio_after = -1, rename_fail_after = -1;
  size_t max_write = 0;
  std::string s(spec);
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (key == "rate") {
      rate = std::atof(value.c_str());
    } else if (key == "seed") {
      seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "dead_after") {
      dead_after = std::atol(value.c_str());
    } else if (key == "nospace_after") {
      nospace_after = std::atol(value.c_str());
    } else if (key == "eio_after") {
      eio_after = std::atol(value.c_str());
    } else if (key == "rename_fail_after") {
      rename_fail_after = std::atol(value.c_str());
    } else if (key == "max_write") {
      max_write = std::strtoull(value.c_str(), nullptr, 10);
    } else if (!key.empty()) {
      return InvalidArgument("LIFEBOAT_TEST_FAULTS: unknown setting \"" + key + "\"");
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (rename_fail_after >= 0 || max_write > 0) {
    // Faults of the local driver's own system calls, below this decorator.
    auto* local = dynamic_cast<LocalStorage*>(inner.get());
    if (local == nullptr) {
      return InvalidArgument("LIFEBOAT_TEST_FAULTS: rename_fail_after and max_write need a local repository");
    }
    local->InjectFaultsForTest(rename_fail_after, max_write);
  }
  return std::unique_ptr<Storage>(
      new FaultStorage(std::move(inner), rate, seed, dead_after, nospace_after, eio_after));
}

FaultStorage::Fault FaultStorage::Next() {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_;
  if (dead_after_ >= 0 && calls_ > dead_after_) return Fault::kDead;
  std::uniform_real_distribution<double> u(0, 1);
  if (u(rng_) >= rate_) return Fault::kNone;
  switch (rng_() % 4) {
    case 0: return Fault::kError;
    case 1: return Fault::kTimeout;
    case 2: return Fault::kCutBefore;
    default: return Fault::kCutAfter;
  }
}

Status FaultStorage::FaultStatus(Fault f, std::string_view what) {
  std::string w(what);
  switch (f) {
    case Fault::kError: return Status(Code::kUnavailable, w + ": injected fault: HTTP 503 SlowDown");
    case Fault::kTimeout: return Status(Code::kUnavailable, w + ": injected fault: operation timed out");
    case Fault::kCutBefore:
    case Fault::kCutAfter: return Status(Code::kUnavailable, w + ": injected fault: connection cut mid-body");
    case Fault::kDead: return Status(Code::kUnavailable, w + ": injected fault: the store is gone (connection refused)");
    case Fault::kNone: break;
  }
  return Status::Ok();
}

Status FaultStorage::Create() {
  Fault f = Next();
  if (f != Fault::kNone) return FaultStatus(f, "create");
  return inner_->Create();
}

Status FaultStorage::Save(FileType type, std::string_view name, std::string_view data) {
  return Faulty(type, name, [&] { return inner_->Save(type, name, data); });
}

Status FaultStorage::SavePack(std::string_view name, std::string_view data, PackContent content) {
  return Faulty(FileType::kPack, name, [&] { return inner_->SavePack(name, data, content); });
}

Status FaultStorage::Faulty(FileType type, std::string_view name, const std::function<Status()>& save) {
  if (nospace_after_ >= 0 && ++writes_ > nospace_after_) {
    return Status(Code::kNoSpace, "save " + std::string(FileTypeName(type)) + " " + std::string(name) +
                                      ": No space left on device (injected)");
  }
  Fault f = Next();
  std::string what = "save " + std::string(FileTypeName(type)) + " " + std::string(name);
  if (f == Fault::kCutAfter) {
    // The server stored the object, but the answer never arrived.
    Status s = save();
    if (!s.ok()) return s;
  }
  if (f != Fault::kNone) return FaultStatus(f, what);
  return save();
}

Result<std::string> FaultStorage::Load(FileType type, std::string_view name, uint64_t offset, uint64_t length) {
  if (eio_after_ >= 0 && ++reads_ > eio_after_) {
    return IoError("read " + std::string(FileTypeName(type)) + " " + std::string(name) +
                   ": Input/output error (injected)");
  }
  Fault f = Next();
  std::string what = "load " + std::string(FileTypeName(type)) + " " + std::string(name);
  if (f == Fault::kCutAfter || f == Fault::kCutBefore) {
    (void)inner_->Load(type, name, offset, length);  // the bytes flowed, then the connection dropped
  }
  if (f != Fault::kNone) return FaultStatus(f, what);
  return inner_->Load(type, name, offset, length);
}

Result<uint64_t> FaultStorage::Size(FileType type, std::string_view name) {
  Fault f = Next();
  if (f != Fault::kNone) return FaultStatus(f, "size of " + std::string(FileTypeName(type)) + " " + std::string(name));
  return inner_->Size(type, name);
}

Status FaultStorage::List(FileType type, const std::function<void(const ObjectInfo&)>& fn) {
  Fault f = Next();
  std::string what = "list " + std::string(FileTypeDir(type));
  if (f == Fault::kCutAfter || f == Fault::kCutBefore) {
    // Half a listing arrives, then the connection drops.
    bool half = true;
    Status s = inner_->List(type, [&](const ObjectInfo& o) {
      if (half) fn(o);
      half = !half;
    });
    if (!s.ok()) return s;
    return FaultStatus(f, what);
  }
  if (f != Fault::kNone) return FaultStatus(f, what);
  return inner_->List(type, fn);
}

Status FaultStorage::Remove(FileType type, std::string_view name) {
  Fault f = Next();
  std::string what = "remove " + std::string(FileTypeName(type)) + " " + std::string(name);
  if (f == Fault::kCutAfter) {
    Status s = inner_->Remove(type, name);
    if (!s.ok()) return s;
  }
  if (f != Fault::kNone) return FaultStatus(f, what);
  return inner_->Remove(type, name);
}

}  // namespace lifeboat
