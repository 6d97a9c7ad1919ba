// A streaming reader of Redis's RDB format, versions 1 to 11 (Redis 2.x to
// 7.2): every value encoding (strings plain, integer and LZF-compressed;
// lists as linked lists, ziplists and quicklists of ziplists or listpacks;
// sets as hash tables, intsets and listpacks; sorted sets in every form;
// hashes as zipmaps, ziplists and listpacks; streams with their listpacks
// and consumer groups), expiries, several databases, aux fields, functions
// and module data kept opaque. Written here because the format is Redis's
// own and no Debian library reads it (hiredis speaks the protocol only).
//
// For each key it reports the name, database, kind, expiry and the value's
// canonical digest (digest.h), and optionally the raw bytes of the value as
// the RDB holds them: type byte + payload, which is exactly what DUMP
// returns before its version and checksum trailer, so RESTORE can replay it.
//
// The input is hostile: every length is checked before anything is
// allocated for it, and a damaged file is kCorrupt with the byte offset.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/redis/digest.h"

namespace lifeboat::redis {

// Where the parser's bytes come from.
class RdbInput {
 public:
  virtual ~RdbInput() = default;
  // Reads up to n bytes; returns how many (0 at the end of the input).
  virtual Result<size_t> ReadSome(char* buf, size_t n) = 0;
};

class StringInput final : public RdbInput {
 public:
  explicit StringInput(std::string_view data) : data_(data) {}
  Result<size_t> ReadSome(char* buf, size_t n) override;

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

struct RdbEntry {
  int db = 0;
  std::string key;
  Kind kind = Kind::kString;
  int rdb_type = 0;        // the RDB type byte
  int rdb_version = 0;     // of the file (DUMP payloads carry it)
  int64_t expire_ms = -1;  // absolute Unix time in ms; -1: none
  Digest128 digest;        // of the value
  uint64_t elements = 0;   // strings: 1
  std::string raw;         // type byte + payload (with RdbOptions::capture_raw)
  // With capture_raw or hash_raw: XXH3-64 of the payload (the value's bytes
  // after the type byte, as the RDB holds them) seeded with the type byte,
  // and the payload's size. What a delta compares records by.
  uint64_t payload_hash = 0;
  uint64_t payload_size = 0;
};

struct RdbSummary {
  int version = 0;
  std::map<std::string, std::string> aux;  // redis-ver, ctime, used-mem, ...
  Fingerprint fingerprint;
  uint64_t bytes = 0;      // read, EOF marker and checksum included
  uint64_t functions = 0;  // Redis 7 function libraries (kept in the RDB, not replayed)
  std::vector<std::string> function_code;  // their source, with RdbOptions::capture_raw
  uint64_t modules_aux = 0;
  bool checksum_checked = false;  // false when the file carries none (0)
};

struct RdbOptions {
  bool capture_raw = false;
  bool hash_raw = false;  // RdbEntry::payload_hash without keeping the bytes
  // false: no canonical digests (RdbEntry::digest and the fingerprint stay
  // zero) and encoded containers are not taken apart, only stepped over —
  // for a delta reading its full's records, compared by their raw bytes.
  bool digests = true;
  // Strings and encoded containers larger than this are refused (Redis's
  // proto-max-bulk-len default is 512 MiB).
  uint64_t max_string = uint64_t(512) << 20;
};

// Reads one RDB from `in` to its EOF opcode and checksum. `on_entry` sees
// each key as it is read; an error it returns stops the parse.
Result<RdbSummary> ParseRdb(RdbInput& in, const RdbOptions& options,
                            const std::function<Status(RdbEntry&)>& on_entry);

// The DUMP payload of an entry captured with capture_raw: raw + RDB version
// (2 bytes LE) + CRC-64 (8 bytes LE), as RESTORE wants it.
std::string DumpPayload(const std::string& raw, int rdb_version);

}  // namespace lifeboat::redis
