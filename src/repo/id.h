// Id: a 32-byte SHA-256 that names a blob or a repository file.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace lifeboat {

struct Id {
  std::array<uint8_t, 32> bytes{};

  // SHA-256 of data.
  static Id Hash(std::string_view data);
  // From 64 hex characters; nullopt otherwise.
  static std::optional<Id> FromHex(std::string_view hex);
  // From 32 raw bytes. REQUIRES: raw.size() == 32.
  static Id FromRaw(std::string_view raw);

  std::string Hex() const;
  // The first 8 hex characters, as restic prints IDs.
  std::string Short() const;
  bool IsZero() const;
  std::string_view Raw() const {
    return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  bool operator==(const Id& o) const { return bytes == o.bytes; }
  bool operator<(const Id& o) const { return bytes < o.bytes; }
};

struct IdHash {
  size_t operator()(const Id& id) const {
    size_t h;
    std::memcpy(&h, id.bytes.data(), sizeof h);  // already uniformly distributed
    return h;
  }
};

enum class BlobType : uint8_t { kData = 0, kTree = 1 };

inline std::string_view BlobTypeName(BlobType t) { return t == BlobType::kTree ? "tree" : "data"; }

}  // namespace lifeboat
