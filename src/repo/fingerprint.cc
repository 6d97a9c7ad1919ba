#include "repo/fingerprint.h"

#include <xxhash.h>

#include <new>
#include <string_view>

#include "base/bytes.h"

namespace lifeboat {
namespace {

void FreeState(XXH3_state_s* s) { XXH3_freeState(s); }

}  // namespace

Fingerprinter::Fingerprinter() : state_(XXH3_createState(), &FreeState) {
  if (state_ == nullptr) throw std::bad_alloc();
  XXH3_128bits_reset(state_.get());
}

Fingerprinter::~Fingerprinter() = default;

void Fingerprinter::Update(const void* data, size_t n) { XXH3_128bits_update(state_.get(), data, n); }

std::string Fingerprinter::Hex() const {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state_.get()));
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest));
}

}  // namespace lifeboat
