#include "repo/pack.h"

#include "base/bytes.h"
#include "io/zstd.h"
#include "storage/storage.h"

namespace lifeboat {
namespace {

constexpr size_t kPlainEntrySize = 1 + 4 + 32;
constexpr size_t kCompressedEntrySize = 1 + 4 + 4 + 32;

}  // namespace

void PackBuilder::Add(BlobType type, const Id& id, std::string_view sealed,
                      uint32_t uncompressed_length) {
  blobs_.push_back(PackedBlob{type, id, static_cast<uint32_t>(data_.size()),
                              static_cast<uint32_t>(sealed.size()), uncompressed_length});
  data_.append(sealed);
}

void PackBuilder::Seal(const MasterKey& key, BlobType type, const Id& id, std::string_view payload,
                       uint32_t uncompressed_length) {
  size_t start = data_.size();
  key.SealTo(payload, &data_);
  blobs_.push_back(PackedBlob{type, id, static_cast<uint32_t>(start),
                              static_cast<uint32_t>(data_.size() - start), uncompressed_length});
}

std::string PackBuilder::Finish(const MasterKey& key) {
  std::string header;
  header.reserve(blobs_.size() * kCompressedEntrySize);
  for (const PackedBlob& b : blobs_) {
    uint8_t type = static_cast<uint8_t>(b.type) | (b.compressed() ? 2 : 0);
    header += static_cast<char>(type);
    PutFixed32(&header, b.length);
    if (b.compressed()) PutFixed32(&header, b.uncompressed_length);
    header.append(b.id.Raw());
  }
  size_t before = data_.size();
  key.SealTo(header, &data_);
  PutFixed32(&data_, static_cast<uint32_t>(data_.size() - before));
  return std::move(data_);
}

Result<std::vector<PackedBlob>> ParsePackHeader(std::string_view plain, uint64_t data_end) {
  std::vector<PackedBlob> blobs;
  uint64_t offset = 0;
  size_t pos = 0;
  while (pos < plain.size()) {
    uint8_t type = static_cast<uint8_t>(plain[pos]);
    if (type > 3) return Corrupt("pack header: invalid blob type " + std::to_string(type));
    bool compressed = (type & 2) != 0;
    size_t entry = compressed ? kCompressedEntrySize : kPlainEntrySize;
    if (pos + entry > plain.size()) return Corrupt("pack header: truncated entry");
    PackedBlob b;
    b.type = static_cast<BlobType>(type & 1);
    b.length = DecodeFixed32(plain.data() + pos + 1);
    b.uncompressed_length = compressed ? DecodeFixed32(plain.data() + pos + 5) : 0;
    b.id = Id::FromRaw(plain.substr(pos + entry - 32, 32));
    if (b.length < kCryptoOverhead || offset + b.length > data_end) {
      return Corrupt("pack header: blob " + b.id.Short() + " lies outside the pack");
    }
    if (compressed && b.uncompressed_length == 0) {
      return Corrupt("pack header: compressed blob " + b.id.Short() + " with zero length");
    }
    b.offset = static_cast<uint32_t>(offset);
    offset += b.length;
    blobs.push_back(b);
    pos += entry;
  }
  return blobs;
}

Result<std::vector<PackedBlob>> ReadPackHeader(Storage& storage, const MasterKey& key,
                                               const Id& pack, uint64_t pack_size) {
  std::string name = pack.Hex();
  std::string where = "pack " + name;
  if (pack_size < 4 + kCryptoOverhead) return Corrupt(where + ": too short for a header");
  // Read a tail that holds most headers in one request.
  uint64_t tail_len = std::min<uint64_t>(pack_size, 16384);
  LB_ASSIGN_OR_RETURN(std::string tail,
                      storage.Load(FileType::kPack, name, pack_size - tail_len, tail_len));
  uint32_t header_len = DecodeFixed32(tail.data() + tail.size() - 4);
  if (header_len < kCryptoOverhead || header_len > kMaxPackHeaderSize ||
      uint64_t(header_len) + 4 > pack_size) {
    return Corrupt(where + ": header length " + std::to_string(header_len) + " is impossible");
  }
  std::string sealed;
  if (uint64_t(header_len) + 4 <= tail.size()) {
    sealed = tail.substr(tail.size() - 4 - header_len, header_len);
  } else {
    LB_ASSIGN_OR_RETURN(sealed, storage.Load(FileType::kPack, name, pack_size - 4 - header_len,
                                             header_len));
  }
  auto plain = key.Open(sealed);
  if (!plain.ok()) return plain.status().WithContext(where + ": header");
  auto blobs = ParsePackHeader(*plain, pack_size - 4 - header_len);
  if (!blobs.ok()) return blobs.status().WithContext(where);
  return blobs;
}

Result<std::string> OpenBlob(const MasterKey& key, const PackedBlob& blob, std::string_view sealed) {
  LB_ASSIGN_OR_RETURN(std::string plain, key.Open(sealed));
  if (blob.compressed()) {
    LB_ASSIGN_OR_RETURN(plain, ZstdDecompress(plain, blob.uncompressed_length));
  }
  if (Id::Hash(plain) != blob.id) {
    return Corrupt("content does not match its hash " + blob.id.Short());
  }
  return plain;
}

}  // namespace lifeboat
