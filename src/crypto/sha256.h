// SHA-256, the hash that names every blob and every file in a repository.
#pragma once

#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace lifeboat {

constexpr size_t kSha256Size = 32;

// Returns the 32-byte digest of `data`.
std::string Sha256(std::string_view data);

// Incremental hashing. Not thread-safe; one hasher per thread.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // Returns the digest and resets the hasher for reuse.
  std::string Finish();

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace lifeboat
