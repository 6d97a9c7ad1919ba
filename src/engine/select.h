// Choosing snapshots: by id prefix, "latest", and filters on host, tags and
// paths, with restic's meanings.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"

namespace lifeboat {

struct SnapshotFilter {
  std::vector<std::string> hosts;
  // Each entry is a comma-separated list of tags that must all be present;
  // a snapshot passes if any entry matches.
  std::vector<std::string> tags;
  std::vector<std::string> paths;  // all must be among the snapshot's paths

  bool Matches(const Snapshot& s) const;
  bool empty() const { return hosts.empty() && tags.empty() && paths.empty(); }
};

std::vector<Snapshot> FilterSnapshots(std::vector<Snapshot> all, const SnapshotFilter& filter);

// Resolves "latest" (newest passing the filter) or an id prefix.
Result<Snapshot> FindSnapshot(Repository& repo, const std::string& name, const SnapshotFilter& filter);

}  // namespace lifeboat
