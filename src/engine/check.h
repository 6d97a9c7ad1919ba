// Check: is the repository whole? Structure (index, packs present with the
// right sizes, every snapshot's trees readable and every blob they name
// indexed) and, with read_data, every byte of every pack authenticated and
// hash-checked. Problems name the pack or file and the snapshots affected.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace lifeboat {

struct CheckOptions {
  bool read_data = false;
  size_t threads = 0;
};

struct CheckReport {
  std::vector<std::string> errors;  // each names the object and the cause
  std::vector<std::string> hints;   // harmless findings (unreferenced packs)
  uint64_t snapshots = 0, trees = 0, blobs = 0, packs = 0, index_files = 0;
  uint64_t bytes_read = 0;

  bool ok() const { return errors.empty(); }
};

// Returns the report; fails only if the check itself cannot proceed.
Result<CheckReport> RunCheck(Repository& repo, const CheckOptions& options, ProgressCounters* progress);

}  // namespace lifeboat
