#include "crypto/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <cstring>
#include <mutex>

namespace lifeboat {
namespace {

EVP_MAC* Poly1305Mac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
  return mac;
}

void AesEncryptBlock(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, key, nullptr);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  int len = 0;
  EVP_EncryptUpdate(ctx, out, &len, in, 16);
  EVP_CIPHER_CTX_free(ctx);
}

}  // namespace

std::array<uint8_t, 16> Poly1305Aes(std::string_view msg, const uint8_t* iv,
                                    const std::array<uint8_t, 16>& k,
                                    const std::array<uint8_t, 16>& r) {
  // The one-time Poly1305 key is r || AES_k(nonce). Poly1305 clamps r itself.
  uint8_t key[32];
  std::memcpy(key, r.data(), 16);
  AesEncryptBlock(k.data(), iv, key + 16);

  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(Poly1305Mac());
  EVP_MAC_init(ctx, key, sizeof key, nullptr);
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  std::array<uint8_t, 16> tag{};
  size_t len = 0;
  EVP_MAC_final(ctx, tag.data(), &len, tag.size());
  EVP_MAC_CTX_free(ctx);
  OPENSSL_cleanse(key, sizeof key);
  return tag;
}

void Aes256Ctr(const uint8_t key[32], const uint8_t iv[16], std::string_view in, char* out) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr, key, iv);
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  auto* dst = reinterpret_cast<unsigned char*>(out);
  size_t done = 0;
  // EVP takes int lengths; feed large buffers in pieces.
  while (done < in.size()) {
    int piece = static_cast<int>(std::min<size_t>(in.size() - done, 1 << 30));
    int len = 0;
    EVP_EncryptUpdate(ctx, dst + done, &len, src + done, piece);
    done += static_cast<size_t>(piece);
  }
  EVP_CIPHER_CTX_free(ctx);
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // Without randomness nothing can be encrypted safely; this cannot be handled.
    std::abort();
  }
  return out;
}

MasterKey MasterKey::Random() {
  MasterKey key;
  std::string bytes = RandomBytes(64);
  key = FromDerived(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

MasterKey MasterKey::FromDerived(std::string_view bytes64) {
  MasterKey key;
  std::memcpy(key.encrypt.data(), bytes64.data(), 32);
  std::memcpy(key.mac_k.data(), bytes64.data() + 32, 16);
  std::memcpy(key.mac_r.data(), bytes64.data() + 48, 16);
  return key;
}

bool MasterKey::Valid() const {
  auto nonzero = [](const auto& a) {
    for (uint8_t b : a) {
      if (b != 0) return true;
    }
    return false;
  };
  return nonzero(encrypt) && nonzero(mac_k) && nonzero(mac_r);
}

MasterKey::~MasterKey() {
  OPENSSL_cleanse(encrypt.data(), encrypt.size());
  OPENSSL_cleanse(mac_k.data(), mac_k.size());
  OPENSSL_cleanse(mac_r.data(), mac_r.size());
}

std::string MasterKey::Seal(std::string_view plaintext) const {
  std::string out;
  SealTo(plaintext, &out);
  return out;
}

void MasterKey::SealTo(std::string_view plaintext, std::string* out) const {
  size_t base = out->size();
  out->resize(base + kIvSize + plaintext.size() + kMacSize);
  SealInto(plaintext, out->data() + base);
}

void MasterKey::SealInto(std::string_view plaintext, char* p) const {
  std::string iv;
  do {
    iv = RandomBytes(kIvSize);
  } while (iv.find_first_not_of('\0') == std::string::npos);  // restic rejects an all-zero IV
  std::memcpy(p, iv.data(), kIvSize);
  Aes256Ctr(encrypt.data(), reinterpret_cast<const uint8_t*>(iv.data()), plaintext, p + kIvSize);
  auto tag = Poly1305Aes(std::string_view(p + kIvSize, plaintext.size()),
                         reinterpret_cast<const uint8_t*>(iv.data()), mac_k, mac_r);
  std::memcpy(p + kIvSize + plaintext.size(), tag.data(), kMacSize);
}

Result<std::string> MasterKey::Open(std::string_view sealed) const {
  if (sealed.size() < kCryptoOverhead) {
    return Corrupt("ciphertext too short (" + std::to_string(sealed.size()) + " bytes)");
  }
  const auto* iv = reinterpret_cast<const uint8_t*>(sealed.data());
  std::string_view ct = sealed.substr(kIvSize, sealed.size() - kCryptoOverhead);
  auto tag = Poly1305Aes(ct, iv, mac_k, mac_r);
  if (CRYPTO_memcmp(tag.data(), sealed.data() + sealed.size() - kMacSize, kMacSize) != 0) {
    return Corrupt("MAC does not match (data is damaged or the key is wrong)");
  }
  std::string plain(ct.size(), '\0');
  Aes256Ctr(encrypt.data(), iv, ct, plain.data());
  return plain;
}

}  // namespace lifeboat
