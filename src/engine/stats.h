// stats: what a restore of some snapshots would write (restore-size), or
// what their blobs take in the repository, each counted once (raw-data),
// as restic's `stats` modes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"

namespace lifeboat {

enum class StatsMode { kRestoreSize, kRawData };

struct StatsSummary {
  StatsMode mode = StatsMode::kRestoreSize;
  uint64_t snapshots = 0;
  uint64_t files = 0;
  uint64_t size = 0;          // restore-size: bytes of the files
  uint64_t blobs = 0;         // raw-data: distinct blobs
  uint64_t stored = 0;        // raw-data: bytes in packs
  uint64_t uncompressed = 0;  // raw-data: plaintext bytes
  double compression_ratio() const { return stored ? double(uncompressed) / double(stored) : 0; }
  // The one JSON form (restic's field names), for the CLI and the API.
  std::string ToJson() const;
};

// "restore-size" or "raw-data"; kInvalidArgument otherwise.
Result<StatsMode> ParseStatsMode(const std::string& text);

// REQUIRES: the index is loaded.
Result<StatsSummary> ComputeStats(Repository& repo, const std::vector<Snapshot>& snapshots, StatsMode mode);

}  // namespace lifeboat
