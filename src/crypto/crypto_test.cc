#include "crypto/crypto.h"

#include <gtest/gtest.h>

#include <cstring>

#include "base/bytes.h"
#include "crypto/sha256.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace lifeboat {
namespace {

std::string Hex(std::string_view s) { return HexEncode(s); }
std::string Unhex(std::string_view s) { return *HexDecode(s); }

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Hasher h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(Hex(h.Finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
TEST(Aes256Ctr, NistVector) {
  std::string key = Unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  std::string iv = Unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  std::string plain = Unhex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  std::string out(plain.size(), '\0');
  Aes256Ctr(reinterpret_cast<const uint8_t*>(key.data()), reinterpret_cast<const uint8_t*>(iv.data()),
            plain, out.data());
  EXPECT_EQ(Hex(out),
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
            "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
}

// Poly1305-AES test vectors from D. J. Bernstein's poly1305-aes paper
// (Appendix B): k, r, nonce, message -> tag.
TEST(Poly1305Aes, BernsteinVectors) {
  struct Vector {
    const char *k, *r, *nonce, *msg, *tag;
  } vectors[] = {
      {"ec074c835580741701425b623235add6", "851fc40c3467ac0be05cc20404f3f700",
       "fb447350c4e868c52ac3275cf9d4327e", "f3f6", "f4c633c3044fc145f84f335cb81953de"},
      {"75deaa25c09f208e1dc4ce6b5cad3fbf", "a0f3080000f46400d0c7e9076c834403",
       "61ee09218d29b0aaed7e154a2c5509cc", "", "dd3fab2251f11ac759f0887129cc2ee7"},
      {"6acb5f61a7176dd320c5c1eb2edcdc74", "48443d0bb0d21109c89a100b5ce2c208",
       "ae212a55399729595dea458bc621ff0e",
       "663cea190ffb83d89593f3f476b6bc24d7e679107ea26adb8caf6652d0656136",
       "0ee1c16bb73f0f4fd19881753c01cdbe"},
  };
  for (const auto& v : vectors) {
    std::array<uint8_t, 16> k{}, r{};
    std::string kk = Unhex(v.k), rr = Unhex(v.r), nonce = Unhex(v.nonce);
    std::memcpy(k.data(), kk.data(), 16);
    std::memcpy(r.data(), rr.data(), 16);
    auto tag = Poly1305Aes(Unhex(v.msg), reinterpret_cast<const uint8_t*>(nonce.data()), k, r);
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(tag.data()), 16)), v.tag);
  }
}

// RFC 7914, section 12, second vector.
TEST(Scrypt, Rfc7914Vector) {
  auto out = Scrypt(Secret("password"), "NaCl", 1024, 8, 16);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Hex(*out),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

// The parallel implementation against OpenSSL's sequential one.
TEST(Scrypt, MatchesOpenSsl) {
  struct Params {
    uint64_t n;
    uint32_t r, p;
  } cases[] = {{16, 1, 1}, {1024, 8, 3}, {2048, 4, 7}, {32768, 8, 2}};
  for (const auto& c : cases) {
    std::string want(64, '\0');
    ASSERT_EQ(EVP_PBE_scrypt("pw", 2, reinterpret_cast<const unsigned char*>("salty"), 5, c.n, c.r, c.p,
                             1ull << 30, reinterpret_cast<unsigned char*>(want.data()), 64),
              1);
    auto got = Scrypt(Secret("pw"), "salty", c.n, c.r, c.p);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(Hex(*got), Hex(want)) << "N=" << c.n << " r=" << c.r << " p=" << c.p;
  }
  EXPECT_FALSE(Scrypt(Secret("pw"), "s", 1000, 8, 1).ok());  // N not a power of two
}

TEST(MasterKey, SealOpenRoundTrip) {
  MasterKey key = MasterKey::Random();
  ASSERT_TRUE(key.Valid());
  std::string sealed = key.Seal("the quick brown fox");
  EXPECT_EQ(sealed.size(), 19 + kCryptoOverhead);
  auto plain = key.Open(sealed);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "the quick brown fox");
  // Same plaintext, different IV: different ciphertext.
  EXPECT_NE(key.Seal("the quick brown fox"), sealed);
}

TEST(MasterKey, DetectsTamperingAndWrongKey) {
  MasterKey key = MasterKey::Random();
  std::string sealed = key.Seal("payload");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_EQ(key.Open(bad).status().code(), Code::kCorrupt) << "flipped byte " << i;
  }
  EXPECT_EQ(MasterKey::Random().Open(sealed).status().code(), Code::kCorrupt);
  EXPECT_EQ(key.Open("short").status().code(), Code::kCorrupt);
}

}  // namespace
}  // namespace lifeboat
