// Prune: removes data no snapshot needs, safely (restic's algorithm).
//
//  1. Under the exclusive lock, find every blob the snapshots reference
//     (every tree must load: if one does not, nothing is removed).
//  2. Classify packs: fully used (keep), fully unused (delete), partly used
//     (repack the most wasteful until the unused space left is within
//     --max-unused, and at most --max-repack-size bytes are rewritten).
//     Packs no index names are deleted too (left by interrupted backups).
//  3. Copy the used blobs of packs to repack into new packs; store them.
//  4. Write a new index naming exactly the packs that stay and the new
//     ones; only then delete the old index files, and last the packs.
//
// Interrupted anywhere, the repository stays valid: until the new index is
// written nothing is deleted, and after it every deleted file is one the
// new index does not name; a later prune finishes the job.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace lifeboat {

struct PruneOptions {
  // Unused bytes allowed to stay, as a share of the repository size
  // (max_unused_fraction) or an absolute limit (max_unused_bytes >= 0).
  double max_unused_fraction = 0.05;
  int64_t max_unused_bytes = -1;
  int64_t max_repack_bytes = -1;  // -1: unlimited
  bool dry_run = false;
};

struct PruneReport {
  uint64_t snapshots = 0;
  uint64_t used_blobs = 0, unused_blobs = 0;
  uint64_t used_bytes = 0, unused_bytes = 0;  // stored (packed) bytes
  uint64_t packs_total = 0, packs_keep = 0, packs_delete = 0, packs_repack = 0, packs_unindexed = 0;
  uint64_t bytes_delete = 0;     // in packs deleted whole (incl. unindexed)
  uint64_t bytes_repack = 0;     // size of the packs rewritten
  uint64_t bytes_rewritten = 0;  // used bytes copied into new packs
  uint64_t bytes_freed = 0;      // repository shrinks by this much
  uint64_t unused_after = 0;
  uint64_t index_files_removed = 0, index_files_written = 0;
};

Result<PruneReport> Prune(Repository& repo, const PruneOptions& options, ProgressCounters* progress);

}  // namespace lifeboat
