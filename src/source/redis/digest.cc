#include "source/redis/digest.h"

#include <xxhash.h>

#include <cstdio>
#include <initializer_list>
#include <cstring>
#include <nlohmann/json.hpp>

namespace lifeboat::redis {

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "list";
    case Kind::kSet:
      return "set";
    case Kind::kZset:
      return "zset";
    case Kind::kHash:
      return "hash";
    case Kind::kStream:
      return "stream";
    case Kind::kModule:
      return "module";
  }
  return "?";
}

void Digest128::Add(const Digest128& o) {
  lo += o.lo;
  hi += o.hi;
}

std::string Digest128::Hex() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

Digest128 HashBytes(std::string_view data) {
  XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return Digest128{h.low64, h.high64};
}

namespace {

// XXH3-128 of the concatenation of `parts`, built on the stack when it is
// small: the digests run for every element of every key inline with a
// backup, and a heap string per element was a third of their time.
Digest128 HashParts(std::initializer_list<std::string_view> parts) {
  size_t n = 0;
  for (auto p : parts) n += p.size();
  char stack[512];
  std::string heap;
  char* buf = stack;
  if (n > sizeof stack) {
    heap.resize(n);
    buf = heap.data();
  }
  size_t at = 0;
  for (auto p : parts) {
    if (!p.empty()) std::memcpy(buf + at, p.data(), p.size());
    at += p.size();
  }
  return HashBytes(std::string_view(buf, n));
}

std::string_view Bytes(const void* p, size_t n) { return std::string_view(static_cast<const char*>(p), n); }

}  // namespace

void AppendField(std::string* out, std::string_view s) {
  uint64_t n = s.size();
  out->append(reinterpret_cast<const char*>(&n), 8);
  out->append(s);
}

void ValueDigest::Ordered(std::string_view v) {
  if (!on_) return;
  // A chain: each element's digest covers the previous one.
  uint64_t n = v.size();
  Digest128 d = HashParts({ordered_, Bytes(&n, 8), v});
  ordered_.assign(reinterpret_cast<const char*>(&d), sizeof d);
  ++count_;
}

void ValueDigest::String(std::string_view v) { Ordered(v); }
void ValueDigest::ListElement(std::string_view v) { Ordered(v); }

void ValueDigest::SetMember(std::string_view v) {
  if (!on_) return;
  sum_.Add(HashBytes(v));
  ++count_;
}

void ValueDigest::HashField(std::string_view field, std::string_view value) {
  if (!on_) return;
  uint64_t nf = field.size(), nv = value.size();
  sum_.Add(HashParts({Bytes(&nf, 8), field, Bytes(&nv, 8), value}));
  ++count_;
}

void ValueDigest::ZsetMember(std::string_view member, double score) {
  if (!on_) return;
  if (score == 0) score = 0;  // -0 and +0 are one score
  uint64_t nm = member.size();
  sum_.Add(HashParts({Bytes(&nm, 8), member, Bytes(&score, sizeof score)}));
  ++count_;
}

void ValueDigest::StreamEntry(uint64_t ms, uint64_t seq, const std::string& fields_and_values) {
  if (!on_) return;
  std::string buf;
  buf.append(reinterpret_cast<const char*>(&ms), 8);
  buf.append(reinterpret_cast<const char*>(&seq), 8);
  buf += fields_and_values;
  Ordered(buf);
}

Digest128 ValueDigest::Finish() const {
  if (!on_) return {};
  char kind = static_cast<char>(kind_);
  return HashParts({Bytes(&kind, 1), Bytes(&count_, 8), ordered_, Bytes(&sum_, sizeof sum_)});
}

Digest128 KeyRecordDigest(std::string_view name, Kind kind, const Digest128& value) {
  char k = static_cast<char>(kind);
  uint64_t n = name.size();
  return HashParts({Bytes(&k, 1), Bytes(&n, 8), name, Bytes(&value, sizeof value)});
}

void Fingerprint::AddKey(int db, std::string_view name, Kind kind, const Digest128& value, bool has_ttl) {
  DbFingerprint& f = dbs[db];
  ++f.keys;
  if (has_ttl) ++f.expires;
  f.digest.Add(KeyRecordDigest(name, kind, value));
}

uint64_t Fingerprint::total_keys() const {
  uint64_t n = 0;
  for (const auto& [db, f] : dbs) n += f.keys;
  return n;
}

std::string Fingerprint::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [db, f] : dbs) {
    j[std::to_string(db)] = {{"keys", f.keys}, {"expires", f.expires}, {"digest", f.digest.Hex()}};
  }
  return j.dump();
}

bool Fingerprint::FromJson(std::string_view json, Fingerprint* out) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  out->dbs.clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& v = it.value();
    if (!v.is_object() || !v.contains("keys") || !v["keys"].is_number_unsigned() || !v.contains("digest") ||
        !v["digest"].is_string() || v["digest"].get<std::string>().size() != 32) {
      return false;
    }
    char* end = nullptr;
    long db = std::strtol(it.key().c_str(), &end, 10);
    if (*end != '\0' || db < 0) return false;
    DbFingerprint f;
    f.keys = v["keys"].get<uint64_t>();
    f.expires = v.value("expires", uint64_t{0});
    std::string hex = v["digest"].get<std::string>();
    f.digest.hi = std::strtoull(hex.substr(0, 16).c_str(), nullptr, 16);
    f.digest.lo = std::strtoull(hex.substr(16).c_str(), nullptr, 16);
    out->dbs[static_cast<int>(db)] = f;
  }
  return true;
}

}  // namespace lifeboat::redis
