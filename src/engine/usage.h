// What one snapshot holds and where it lies in the repository: its files,
// their size, its blobs as stored (each once) and the packs they are in.
// The inventory, compliance and cost reports (report/) read this.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"
#include "repo/repository.h"

namespace lifeboat {

struct SnapshotUsage {
  uint64_t files = 0;
  uint64_t restore_size = 0;     // bytes of its files (stats restore-size)
  uint64_t stored = 0;           // its blobs in packs, each once (stats raw-data of it alone)
  uint64_t uncompressed = 0;     // their plaintext
  std::map<Id, uint64_t> packs;  // stored bytes of its blobs per pack
};

// REQUIRES: the index is loaded.
Result<SnapshotUsage> ComputeUsage(Repository& repo, const Snapshot& snapshot);

// Up to `limit` bytes of the snapshot's file contents, files in tree order
// (each blob read and authenticated): a sample for a compression estimate.
Result<std::string> SampleContent(Repository& repo, const Snapshot& snapshot, size_t limit);

}  // namespace lifeboat
