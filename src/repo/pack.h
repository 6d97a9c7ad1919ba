// Pack files: EncryptedBlob1 || ... || EncryptedBlobN || EncryptedHeader ||
// HeaderLength(uint32 LE). The header lists type, lengths and plaintext hash
// of each blob. See docs/repository-format.md, "Packs".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/crypto.h"
#include "repo/id.h"

namespace lifeboat {

class Storage;

// Bounds on a blob's plaintext. Data blobs are chunks of at most 8 MiB
// (restic's and lifeboat's chunker); trees of a directory with millions of
// entries stay well under the tree bound. Past them a blob is kCorrupt
// before anything is allocated for it (a hostile index or pack header could
// otherwise declare 4 GiB per blob).
constexpr size_t kMaxDataBlobSize = size_t(64) << 20;
constexpr size_t kMaxTreeBlobSize = size_t(1) << 30;

struct PackedBlob {
  BlobType type = BlobType::kData;
  Id id;
  uint32_t offset = 0;               // of the sealed blob within the pack
  uint32_t length = 0;               // sealed length
  uint32_t uncompressed_length = 0;  // plaintext length if compressed, else 0

  bool compressed() const { return uncompressed_length != 0; }
  size_t max_plaintext() const { return type == BlobType::kTree ? kMaxTreeBlobSize : kMaxDataBlobSize; }
  // kCorrupt naming the blob if its lengths pass the bounds above.
  Status CheckBounds() const;
};

// Assembles one pack in memory, in a page-aligned buffer (so storage can
// write it without another copy). Not thread-safe.
class PackBuilder {
 public:
  // `expected_size` reserves the buffer up front (no regrowth copies).
  explicit PackBuilder(size_t expected_size = 0);
  ~PackBuilder();
  PackBuilder(const PackBuilder&) = delete;
  PackBuilder& operator=(const PackBuilder&) = delete;

  // Appends a sealed blob. uncompressed_length is 0 for an uncompressed blob.
  void Add(BlobType type, const Id& id, std::string_view sealed, uint32_t uncompressed_length);
  // Appends a blob, sealing it into the pack's buffer without a copy.
  void Seal(const MasterKey& key, BlobType type, const Id& id, std::string_view payload,
            uint32_t uncompressed_length);

  size_t size() const { return size_; }
  size_t count() const { return blobs_.size(); }
  const std::vector<PackedBlob>& blobs() const { return blobs_; }

  // Appends the sealed header and its length; returns the finished pack,
  // valid while the builder lives.
  std::string_view Finish(const MasterKey& key);

 private:
  char* Grow(size_t n);  // makes room for n more bytes; returns where they go

  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  std::vector<PackedBlob> blobs_;
};

// Largest header we accept (bounds memory on corrupt input): 2^20 entries.
constexpr uint32_t kMaxPackHeaderSize = (1u << 20) * 41 + kCryptoOverhead;

// Parses a decrypted header; `pack_size` bounds the offsets.
Result<std::vector<PackedBlob>> ParsePackHeader(std::string_view plain, uint64_t data_end);

// Reads and authenticates the header of a pack in storage.
Result<std::vector<PackedBlob>> ReadPackHeader(Storage& storage, const MasterKey& key,
                                               const Id& pack, uint64_t pack_size);

// Decodes a sealed blob: decrypts, decompresses, and checks its hash.
Result<std::string> OpenBlob(const MasterKey& key, const PackedBlob& blob, std::string_view sealed);

}  // namespace lifeboat
