#include "engine/copy.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "base/thread_pool.h"
#include "repo/log_archive.h"
#include "repo/tree.h"

namespace lifeboat {
namespace {

struct BlobRef {
  BlobType type;
  Id id;
};

// Loads each blob from src and stores it in dst, with a few workers (the
// requests of a remote store overlap).
Status CopyBlobs(Repository& src, Repository& dst, const std::vector<BlobRef>& blobs, CopyStats* stats) {
  // Packs of src in an archive tier are restored first, all together.
  std::unordered_set<Id, IdHash> packs;
  for (const BlobRef& b : blobs) {
    if (auto at = src.index().Lookup(b.type, b.id)) packs.insert(at->pack);
  }
  std::vector<std::string> names;
  for (const Id& p : packs) names.push_back(p.Hex());
  LB_RETURN_IF_ERROR(src.storage().PrepareRead(FileType::kPack, names));
  return ParallelFor(blobs.size(), 4, [&](size_t i) -> Status {
    const BlobRef& b = blobs[i];
    auto data = src.LoadBlob(b.type, b.id);
    if (!data.ok()) {
      return data.status().WithContext("copy " + std::string(BlobTypeName(b.type)) + " blob " + b.id.Short());
    }
    LB_ASSIGN_OR_RETURN(bool saved, dst.SaveBlob(b.type, b.id, *data));
    if (saved) {
      stats->blobs_copied.fetch_add(1);
      stats->bytes_copied.fetch_add(data->size());
    }
    return Status::Ok();
  });
}

}  // namespace

Status CopySnapshots(Repository& src, Repository& dst, const std::vector<Snapshot>& snapshots, CopyStats* stats,
                     const std::function<void(const Snapshot&, const std::string&, const Id&)>& on_snapshot) {
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> present, dst.LoadAllSnapshots());
  std::unordered_set<Id, IdHash> have;
  for (const Snapshot& s : present) {
    have.insert(s.id);
    if (s.original) have.insert(*s.original);
  }
  std::unordered_set<Id, IdHash> walked;  // trees already looked at in this run
  for (const Snapshot& snap : snapshots) {
    Id original = snap.original ? *snap.original : snap.id;
    if (have.count(snap.id) || have.count(original)) {
      ++stats->snapshots_present;
      on_snapshot(snap, "present", snap.id);
      continue;
    }
    // Every tree of the snapshot, and every blob dst lacks.
    std::vector<BlobRef> missing;
    std::unordered_set<Id, IdHash> queued;
    std::vector<Id> stack = {snap.tree};
    while (!stack.empty()) {
      Id tree_id = stack.back();
      stack.pop_back();
      if (!walked.insert(tree_id).second) continue;
      if (!dst.index().Has(BlobType::kTree, tree_id)) missing.push_back({BlobType::kTree, tree_id});
      LB_ASSIGN_OR_RETURN(std::string json, src.LoadBlob(BlobType::kTree, tree_id));
      LB_ASSIGN_OR_RETURN(Tree tree, DecodeTree(json));
      ++stats->trees_read;
      for (const Node& n : tree.nodes) {
        if (n.subtree) stack.push_back(*n.subtree);
        for (const Id& d : n.content) {
          if (!dst.index().Has(BlobType::kData, d) && queued.insert(d).second) missing.push_back({BlobType::kData, d});
        }
      }
    }
    LB_RETURN_IF_ERROR(CopyBlobs(src, dst, missing, stats));
    LB_RETURN_IF_ERROR(dst.Flush());  // blobs and their index before the snapshot
    Snapshot copy = snap;
    copy.original = original;
    LB_ASSIGN_OR_RETURN(Id id, dst.SaveUnpacked(FileType::kSnapshot, copy.ToJson()));
    have.insert(original);
    ++stats->snapshots_copied;
    on_snapshot(snap, "copied", id);
  }
  return Status::Ok();
}

Result<LogCopyStats> CopyLogArchive(Repository& src, Repository& dst) {
  LogArchive from(src, "archived file"), to(dst, "archived file");
  std::set<std::string> present;
  LB_RETURN_IF_ERROR(to.List([&](const ObjectInfo& o) {
                         present.insert(o.name);
                       }).WithContext("list the destination's log archive"));
  std::vector<std::string> names;
  LB_RETURN_IF_ERROR(from.List([&](const ObjectInfo& o) { names.push_back(o.name); })
                         .WithContext("list the source's log archive"));
  std::sort(names.begin(), names.end());
  LogCopyStats stats;
  for (const std::string& name : names) {
    if (present.count(name) != 0) {
      ++stats.files_present;
      continue;
    }
    LB_ASSIGN_OR_RETURN(std::string data, from.Get(name));
    LB_ASSIGN_OR_RETURN(LogArchive::PutResult put, to.Put(name, data));
    if (put.already_archived) {
      ++stats.files_present;  // written by a copy running beside this one
      continue;
    }
    ++stats.files_copied;
    stats.bytes_copied += data.size();
    stats.last_copied = name;
  }
  return stats;
}

}  // namespace lifeboat
