// scrypt (RFC 7914) with its p independent ROMix lanes run on several
// threads. OpenSSL computes the lanes one after another; the function and
// its output are the same (the unit test compares with OpenSSL's and with
// the RFC's vectors), only the wall time drops, for every command that opens
// a repository.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "crypto/crypto.h"

namespace lifeboat {
namespace {

inline uint32_t Rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// Salsa20/8 core, in place on 16 little-endian words.
void Salsa208(uint32_t b[16]) {
  uint32_t x[16];
  std::memcpy(x, b, sizeof x);
  for (int i = 0; i < 8; i += 2) {
    x[4] ^= Rotl(x[0] + x[12], 7);   x[8] ^= Rotl(x[4] + x[0], 9);
    x[12] ^= Rotl(x[8] + x[4], 13);  x[0] ^= Rotl(x[12] + x[8], 18);
    x[9] ^= Rotl(x[5] + x[1], 7);    x[13] ^= Rotl(x[9] + x[5], 9);
    x[1] ^= Rotl(x[13] + x[9], 13);  x[5] ^= Rotl(x[1] + x[13], 18);
    x[14] ^= Rotl(x[10] + x[6], 7);  x[2] ^= Rotl(x[14] + x[10], 9);
    x[6] ^= Rotl(x[2] + x[14], 13);  x[10] ^= Rotl(x[6] + x[2], 18);
    x[3] ^= Rotl(x[15] + x[11], 7);  x[7] ^= Rotl(x[3] + x[15], 9);
    x[11] ^= Rotl(x[7] + x[3], 13);  x[15] ^= Rotl(x[11] + x[7], 18);
    x[1] ^= Rotl(x[0] + x[3], 7);    x[2] ^= Rotl(x[1] + x[0], 9);
    x[3] ^= Rotl(x[2] + x[1], 13);   x[0] ^= Rotl(x[3] + x[2], 18);
    x[6] ^= Rotl(x[5] + x[4], 7);    x[7] ^= Rotl(x[6] + x[5], 9);
    x[4] ^= Rotl(x[7] + x[6], 13);   x[5] ^= Rotl(x[4] + x[7], 18);
    x[11] ^= Rotl(x[10] + x[9], 7);  x[8] ^= Rotl(x[11] + x[10], 9);
    x[9] ^= Rotl(x[8] + x[11], 13);  x[10] ^= Rotl(x[9] + x[8], 18);
    x[12] ^= Rotl(x[15] + x[14], 7); x[13] ^= Rotl(x[12] + x[15], 9);
    x[14] ^= Rotl(x[13] + x[12], 13); x[15] ^= Rotl(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; ++i) b[i] += x[i];
}

// BlockMix_{Salsa20/8, r}: in (2r blocks of 16 words) -> out.
void BlockMix(const uint32_t* in, uint32_t* out, uint32_t r) {
  uint32_t x[16];
  std::memcpy(x, in + (2 * r - 1) * 16, sizeof x);
  for (uint32_t i = 0; i < 2 * r; ++i) {
    for (int k = 0; k < 16; ++k) x[k] ^= in[i * 16 + k];
    Salsa208(x);
    // Even blocks go to the first half, odd ones to the second.
    uint32_t* dst = out + ((i % 2) * r + i / 2) * 16;
    std::memcpy(dst, x, sizeof x);
  }
}

// ROMix on one lane of 128*r bytes (as little-endian words), in place.
void RoMix(uint8_t* lane, uint64_t n, uint32_t r) {
  const size_t words = 32 * r;
  std::vector<uint32_t> v(words * n), x(words), y(words);
  for (size_t k = 0; k < words; ++k) {
    const uint8_t* p = lane + 4 * k;
    x[k] = uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
  }
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(&v[i * words], x.data(), words * 4);
    BlockMix(x.data(), y.data(), r);
    x.swap(y);
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t j = x[(2 * r - 1) * 16] & (n - 1);  // Integerify (N is a power of two)
    const uint32_t* vj = &v[j * words];
    for (size_t k = 0; k < words; ++k) x[k] ^= vj[k];
    BlockMix(x.data(), y.data(), r);
    x.swap(y);
  }
  for (size_t k = 0; k < words; ++k) {
    uint8_t* p = lane + 4 * k;
    p[0] = uint8_t(x[k]);
    p[1] = uint8_t(x[k] >> 8);
    p[2] = uint8_t(x[k] >> 16);
    p[3] = uint8_t(x[k] >> 24);
  }
  OPENSSL_cleanse(v.data(), v.size() * 4);
  OPENSSL_cleanse(x.data(), x.size() * 4);
  OPENSSL_cleanse(y.data(), y.size() * 4);
}

bool Pbkdf2Sha256(std::string_view password, const uint8_t* salt, size_t salt_len, uint8_t* out,
                  size_t out_len) {
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt,
                           static_cast<int>(salt_len), 1, EVP_sha256(), static_cast<int>(out_len),
                           out) == 1;
}

}  // namespace

Result<std::string> Scrypt(const Secret& password, std::string_view salt, uint64_t n, uint32_t r,
                           uint32_t p) {
  if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0 || uint64_t(r) * p >= (1u << 30) ||
      n > (uint64_t(1) << 24)) {
    return InvalidArgument("scrypt: invalid parameters N=" + std::to_string(n) + " r=" + std::to_string(r) +
                           " p=" + std::to_string(p));
  }
  const size_t lane = 128 * size_t(r);
  std::vector<uint8_t> b(lane * p);
  if (!Pbkdf2Sha256(password.reveal(), reinterpret_cast<const uint8_t*>(salt.data()), salt.size(), b.data(),
                    b.size())) {
    return Internal("scrypt: PBKDF2 failed");
  }
  // Lanes are independent: spread them over the cores (each needs 128*r*N
  // bytes, so no more threads than cores).
  size_t threads = std::min<size_t>(p, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < p; i += threads) RoMix(b.data() + i * lane, n, r);
    });
  }
  for (size_t i = 0; i < p; i += threads) RoMix(b.data() + i * lane, n, r);
  for (auto& th : pool) th.join();
  std::string out(64, '\0');
  bool ok = Pbkdf2Sha256(password.reveal(), b.data(), b.size(), reinterpret_cast<uint8_t*>(out.data()), out.size());
  OPENSSL_cleanse(b.data(), b.size());
  if (!ok) return Internal("scrypt: PBKDF2 failed");
  return out;
}

}  // namespace lifeboat
