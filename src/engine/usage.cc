#include "engine/usage.h"

#include <unordered_set>

#include "engine/walk.h"

namespace lifeboat {

Result<SnapshotUsage> ComputeUsage(Repository& repo, const Snapshot& snapshot) {
  SnapshotUsage out;
  std::unordered_set<Id, IdHash> seen;
  auto count = [&](BlobType t, const Id& id) {
    if (!seen.insert(id).second) return false;
    if (auto loc = repo.index().Lookup(t, id)) {
      out.stored += loc->blob.length;
      out.uncompressed +=
          loc->blob.compressed() ? loc->blob.uncompressed_length : loc->blob.length - kCryptoOverhead;
      out.packs[loc->pack] += loc->blob.length;
    }
    return true;
  };
  count(BlobType::kTree, snapshot.tree);
  LB_RETURN_IF_ERROR(WalkTree(repo, snapshot.tree, "", [&](const std::string&, const Node& n) {
    if (n.type == "file") {
      out.files++;
      out.restore_size += n.size;
    }
    for (const Id& c : n.content) count(BlobType::kData, c);
    return n.subtree ? count(BlobType::kTree, *n.subtree) : true;
  }));
  return out;
}

Result<std::string> SampleContent(Repository& repo, const Snapshot& snapshot, size_t limit) {
  std::string out;
  Status failed;
  LB_RETURN_IF_ERROR(WalkTree(repo, snapshot.tree, "", [&](const std::string&, const Node& n) {
    if (out.size() >= limit || !failed.ok()) return false;
    for (const Id& c : n.content) {
      if (out.size() >= limit) break;
      auto blob = repo.LoadBlob(BlobType::kData, c);
      if (!blob.ok()) {
        failed = blob.status();
        return false;
      }
      out.append(*blob, 0, std::min(blob->size(), limit - out.size()));
    }
    return true;
  }));
  LB_RETURN_IF_ERROR(failed);
  return out;
}

}  // namespace lifeboat
