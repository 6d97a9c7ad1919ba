// repair index: rebuilds the index from the packs' own headers (after index
// files were lost or damaged). New index files are written before the old
// ones are deleted, so an interruption leaves a usable repository.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"

namespace lifeboat {

struct RepairIndexSummary {
  uint64_t packs = 0;                // read
  std::vector<std::string> damaged;  // "pack <id>: why", left out of the index
  uint64_t blobs = 0;
  uint64_t index_files_written = 0, index_files_removed = 0;
  std::string ToJson() const;  // the one JSON form
};

// REQUIRES: the exclusive lock.
Result<RepairIndexSummary> RepairIndex(Repository& repo);

}  // namespace lifeboat
