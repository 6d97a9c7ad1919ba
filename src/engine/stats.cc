#include "engine/stats.h"

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "engine/walk.h"

namespace lifeboat {

std::string StatsSummary::ToJson() const {
  nlohmann::json j;
  if (mode == StatsMode::kRestoreSize) {
    j = {{"total_size", size}, {"total_file_count", files}, {"snapshots_count", snapshots}};
  } else {
    j = {{"total_size", stored},
         {"total_uncompressed_size", uncompressed},
         {"compression_ratio", compression_ratio()},
         {"total_blob_count", blobs},
         {"snapshots_count", snapshots}};
  }
  return j.dump();
}

Result<StatsMode> ParseStatsMode(const std::string& text) {
  if (text == "restore-size") return StatsMode::kRestoreSize;
  if (text == "raw-data") return StatsMode::kRawData;
  return InvalidArgument("--mode must be restore-size or raw-data");
}

Result<StatsSummary> ComputeStats(Repository& repo, const std::vector<Snapshot>& snapshots, StatsMode mode) {
  StatsSummary out;
  out.mode = mode;
  out.snapshots = snapshots.size();
  std::unordered_set<Id, IdHash> seen;
  // Each blob once, however many snapshots and files share it.
  auto count = [&](BlobType t, const Id& id) {
    if (!seen.insert(id).second) return false;
    if (auto loc = repo.index().Lookup(t, id)) {
      out.blobs++;
      out.stored += loc->blob.length;
      out.uncompressed +=
          loc->blob.compressed() ? loc->blob.uncompressed_length : loc->blob.length - kCryptoOverhead;
    }
    return true;
  };
  for (const Snapshot& snap : snapshots) {
    if (mode == StatsMode::kRawData) count(BlobType::kTree, snap.tree);
    LB_RETURN_IF_ERROR(WalkTree(repo, snap.tree, "", [&](const std::string&, const Node& n) {
      if (n.type == "file") out.files++;
      if (mode == StatsMode::kRestoreSize) {
        if (n.type == "file") out.size += n.size;
        return true;
      }
      for (const Id& c : n.content) count(BlobType::kData, c);
      // Shared subtrees were counted already: do not walk them twice.
      return n.subtree ? count(BlobType::kTree, *n.subtree) : true;
    }));
  }
  return out;
}

}  // namespace lifeboat
