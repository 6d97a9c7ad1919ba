// The canonical digest of Redis data, the same whether it is computed from
// an RDB stream (at backup time) or from a live server's replies (at verify
// time), and independent of encodings (a set as intset, listpack or hash
// table; a score as a listpack integer or a binary double) and of order
// where Redis has none (sets, hashes, sorted sets, keys of a database).
//
// Built on XXH3-128 (libxxhash), not SHA-256: the fingerprint is stored
// inside the encrypted, authenticated repository, so it must detect a wrong
// restore, not resist an attacker, and it runs inline with a backup that
// must keep up with the server's transfer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace lifeboat::redis {

// One of the value kinds Redis commands expose.
enum class Kind : char {
  kString = 's',
  kList = 'l',
  kSet = 'S',
  kZset = 'z',
  kHash = 'h',
  kStream = 'x',
  kModule = 'm',
};
const char* KindName(Kind k);  // "string", "list", ... (TYPE's answers)

struct Digest128 {
  uint64_t lo = 0, hi = 0;
  bool operator==(const Digest128&) const = default;
  void Add(const Digest128& o);  // lane-wise sum: order does not matter
  std::string Hex() const;
};

Digest128 HashBytes(std::string_view data);

// Digest of one value, fed element by element. For lists and streams the
// order counts; for sets, hashes and sorted sets it does not.
class ValueDigest {
 public:
  // on = false: every call does nothing and Finish() is zero.
  explicit ValueDigest(Kind kind, bool on = true) : kind_(kind), on_(on) {}
  void String(std::string_view v);                                 // kString, kModule (opaque bytes)
  void ListElement(std::string_view v);                            // kList
  void SetMember(std::string_view v);                              // kSet
  void HashField(std::string_view field, std::string_view value);  // kHash
  void ZsetMember(std::string_view member, double score);          // kZset
  // kStream: one entry, its id and its field/value pairs in order.
  void StreamEntry(uint64_t ms, uint64_t seq, const std::string& fields_and_values);
  Digest128 Finish() const;
  uint64_t count() const { return count_; }

 private:
  void Ordered(std::string_view v);
  Kind kind_;
  bool on_;
  std::string ordered_;  // running state of ordered kinds: the previous digest
  Digest128 sum_;
  uint64_t count_ = 0;
};

// Appends a length-prefixed string: the unit the canonical forms are made of.
void AppendField(std::string* out, std::string_view s);

// Per database: keys, keys with a TTL, and the sum of every key's record
// digest (name, kind, value).
struct DbFingerprint {
  uint64_t keys = 0, expires = 0;
  Digest128 digest;
  bool operator==(const DbFingerprint&) const = default;
};

struct Fingerprint {
  std::map<int, DbFingerprint> dbs;
  void AddKey(int db, std::string_view name, Kind kind, const Digest128& value, bool has_ttl);
  std::string ToJson() const;  // {"0":{"keys":..,"expires":..,"digest":"hex"},...}
  static bool FromJson(std::string_view json, Fingerprint* out);
  uint64_t total_keys() const;
};

Digest128 KeyRecordDigest(std::string_view name, Kind kind, const Digest128& value);

}  // namespace lifeboat::redis
