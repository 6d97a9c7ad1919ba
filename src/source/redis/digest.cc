#include "source/redis/digest.h"

#include <xxhash.h>

#include <cstdio>
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

void AppendField(std::string* out, std::string_view s) {
  uint64_t n = s.size();
  out->append(reinterpret_cast<const char*>(&n), 8);
  out->append(s);
}

void ValueDigest::Ordered(std::string_view v) {
  // A chain: each element's digest covers the previous one.
  std::string buf = ordered_;
  AppendField(&buf, v);
  Digest128 d = HashBytes(buf);
  ordered_.assign(reinterpret_cast<const char*>(&d), sizeof d);
  ++count_;
}

void ValueDigest::String(std::string_view v) { Ordered(v); }
void ValueDigest::ListElement(std::string_view v) { Ordered(v); }

void ValueDigest::SetMember(std::string_view v) {
  sum_.Add(HashBytes(v));
  ++count_;
}

void ValueDigest::HashField(std::string_view field, std::string_view value) {
  std::string buf;
  AppendField(&buf, field);
  AppendField(&buf, value);
  sum_.Add(HashBytes(buf));
  ++count_;
}

void ValueDigest::ZsetMember(std::string_view member, double score) {
  if (score == 0) score = 0;  // -0 and +0 are one score
  std::string buf;
  AppendField(&buf, member);
  buf.append(reinterpret_cast<const char*>(&score), sizeof score);
  sum_.Add(HashBytes(buf));
  ++count_;
}

void ValueDigest::StreamEntry(uint64_t ms, uint64_t seq, const std::string& fields_and_values) {
  std::string buf;
  buf.append(reinterpret_cast<const char*>(&ms), 8);
  buf.append(reinterpret_cast<const char*>(&seq), 8);
  buf += fields_and_values;
  Ordered(buf);
}

Digest128 ValueDigest::Finish() const {
  std::string buf(1, static_cast<char>(kind_));
  buf.append(reinterpret_cast<const char*>(&count_), 8);
  buf += ordered_;
  buf.append(reinterpret_cast<const char*>(&sum_), sizeof sum_);
  return HashBytes(buf);
}

Digest128 KeyRecordDigest(std::string_view name, Kind kind, const Digest128& value) {
  std::string buf(1, static_cast<char>(kind));
  AppendField(&buf, name);
  buf.append(reinterpret_cast<const char*>(&value), sizeof value);
  return HashBytes(buf);
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
