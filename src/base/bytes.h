// Helpers for byte strings. lifeboat keeps bytes in std::string (as leveldb
// does): cheap to move, easy to view with std::string_view.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat {

std::string HexEncode(std::string_view bytes);
// Returns nullopt unless `hex` is an even-length string of [0-9a-fA-F].
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                 static_cast<char>(v >> 24)};
  dst->append(buf, 4);
}

inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t(u[0]) | (uint32_t(u[1]) << 8) | (uint32_t(u[2]) << 16) | (uint32_t(u[3]) << 24);
}

// Formats a byte count for people: "1.5 MiB".
std::string HumanBytes(uint64_t n);
// Formats seconds for people: "1m02s", "0.35s".
std::string HumanDuration(double seconds);

// True if `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

// Splits "a,b,,c" at `sep` into {"a", "b", "c"}: empty parts are dropped.
std::vector<std::string> SplitList(std::string_view s, char sep = ',');

}  // namespace lifeboat
