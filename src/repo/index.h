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

  // Releases the spare capacity left by growth (after loading all index files).
  void Compact();
  // Bytes held for blobs, including slack (for the scale benchmark).
  size_t MemoryUsage() const;

  size_t blob_count() const;
  size_t pack_count() const;
  // Calls fn for every pack with all its blobs (duplicate copies included),
  // in offset order.
  void ForEachPack(const std::function<void(const Id&, std::vector<PackedBlob>&)>& fn) const;

 private:
  // 48 bytes per blob, stored by value: no per-blob heap objects.
  struct Entry {
    Id id;
    uint32_t pack;  // index into packs_
    uint32_t offset;
    uint32_t length;
    uint32_t uncompressed_length;
  };
  // Blob ids are SHA-256 hashes, so their first bits spread them evenly over
  // the shards. Each shard is a sorted run followed by a short unsorted tail
  // of recent additions that is merged into the run when it grows past a
  // small fraction of it; a shard grows by a quarter at a time, so slack
  // stays small and regrowth never copies more than one shard.
  static constexpr int kShardBits = 12;
  struct Shard {
    std::vector<Entry> entries;
    uint32_t sorted = 0;  // entries[0, sorted) are in id order
  };
  struct Table {
    std::vector<Shard> shards{size_t{1} << kShardBits};
    size_t size = 0;
    const Entry* Find(const Id& id) const;
    bool Insert(const Entry& e);  // false if the id is present
    void Compact();               // release slack
  };

  mutable std::shared_mutex mu_;
  std::vector<Id> packs_;
  std::unordered_map<Id, uint32_t, IdHash> pack_numbers_;
  Table blobs_[2];  // by BlobType
  // Second and later copies of a blob (a resumed backup, concurrent writers,
  // a repack before its old pack is deleted): not answered by Lookup, but
  // listed by ForEachPack so that rewritten index files stay complete.
  std::vector<std::pair<BlobType, Entry>> duplicates_;
};

}  // namespace lifeboat
