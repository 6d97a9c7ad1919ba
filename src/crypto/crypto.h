// The repository's authenticated encryption: AES-256-CTR with a Poly1305-AES
// MAC over the ciphertext, laid out as IV(16) || CIPHERTEXT || MAC(16).
// See docs/repository-format.md, "Encryption".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/secret.h"
#include "base/status.h"

namespace lifeboat {

constexpr size_t kIvSize = 16;
constexpr size_t kMacSize = 16;
constexpr size_t kCryptoOverhead = kIvSize + kMacSize;

// The master key of a repository: 32 bytes for AES-256, and a Poly1305-AES
// key made of a 16-byte AES-128 key `k` and a 16-byte Poly1305 key `r`.
// Thread-safe: Seal and Open may be called concurrently.
struct MasterKey {
  std::array<uint8_t, 32> encrypt{};
  std::array<uint8_t, 16> mac_k{};
  std::array<uint8_t, 16> mac_r{};

  static MasterKey Random();
  // From the 64 bytes a KDF produced: encrypt || k || r.
  static MasterKey FromDerived(std::string_view bytes64);

  bool Valid() const;

  // Returns IV || ciphertext || MAC for a fresh random IV.
  std::string Seal(std::string_view plaintext) const;
  // Appends IV || ciphertext || MAC to *out.
  void SealTo(std::string_view plaintext, std::string* out) const;
  // Writes IV || ciphertext || MAC (plaintext.size() + 32 bytes) at out.
  void SealInto(std::string_view plaintext, char* out) const;
  // Authenticates and decrypts IV || ciphertext || MAC. Returns kCorrupt if the
  // data is too short or the MAC does not match.
  Result<std::string> Open(std::string_view sealed) const;

  ~MasterKey();
};

// Poly1305-AES of `msg` with nonce `iv` (16 bytes) under (k, r).
std::array<uint8_t, 16> Poly1305Aes(std::string_view msg, const uint8_t* iv,
                                    const std::array<uint8_t, 16>& k,
                                    const std::array<uint8_t, 16>& r);

// AES-256-CTR keystream applied to `in`, with a 16-byte initial counter block.
void Aes256Ctr(const uint8_t key[32], const uint8_t iv[16], std::string_view in, char* out);

// Cryptographically secure random bytes.
std::string RandomBytes(size_t n);

// scrypt(password, salt, N, r, p) -> 64 bytes (RFC 7914), with the p lanes
// computed in parallel (crypto/scrypt.cc).
Result<std::string> Scrypt(const Secret& password, std::string_view salt, uint64_t n, uint32_t r,
                           uint32_t p);

}  // namespace lifeboat
