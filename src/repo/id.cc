#include "repo/id.h"

#include "base/bytes.h"
#include "crypto/sha256.h"

namespace lifeboat {

Id Id::Hash(std::string_view data) { return FromRaw(Sha256(data)); }

std::optional<Id> Id::FromHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto raw = HexDecode(hex);
  if (!raw) return std::nullopt;
  return FromRaw(*raw);
}

Id Id::FromRaw(std::string_view raw) {
  Id id;
  std::memcpy(id.bytes.data(), raw.data(), 32);
  return id;
}

std::string Id::Hex() const { return HexEncode(Raw()); }
std::string Id::Short() const { return HexEncode(Raw().substr(0, 4)); }

bool Id::IsZero() const {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace lifeboat
