// The index: where each blob lives (pack, offset, length). Loaded from all
// index/ files at start; new packs are added as they are written and saved as
// new index files. See docs/repository-format.md, "Index".
#pragma once

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "repo/id.h"
#include "repo/pack.h"

namespace lifeboat {

struct BlobLocation {
  Id pack;
  PackedBlob blob;
};

// One pack and its blobs, as an index file lists them.
struct IndexedPack {
  Id id;
  std::vector<PackedBlob> blobs;
};

// Parses an index file's JSON. Fills `supersedes`.
Result<std::vector<IndexedPack>> ParseIndexJson(std::string_view json, std::vector<Id>* supersedes);
std::string EncodeIndexJson(const std::vector<IndexedPack>& packs, const std::vector<Id>& supersedes);

// Thread-safe.
class MasterIndex {
 public:
  // Adds all blobs of a pack. A blob already known keeps its first location.
  void AddPack(const Id& pack, const std::vector<PackedBlob>& blobs);

  bool Has(BlobType type, const Id& id) const;
  std::optional<BlobLocation> Lookup(BlobType type, const Id& id) const;
  bool HasPack(const Id& pack) const;

  size_t blob_count() const;
  size_t pack_count() const;
  // Calls fn for every pack with its blobs.
  void ForEachPack(const std::function<void(const Id&, const std::vector<PackedBlob>&)>& fn) const;

 private:
  struct Entry {
    uint32_t pack;  // index into packs_
    uint32_t offset;
    uint32_t length;
    uint32_t uncompressed_length;
  };
  mutable std::shared_mutex mu_;
  std::vector<Id> packs_;
  std::unordered_map<Id, uint32_t, IdHash> pack_numbers_;
  std::unordered_map<Id, Entry, IdHash> blobs_[2];  // by BlobType
};

}  // namespace lifeboat
