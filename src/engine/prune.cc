#include "engine/prune.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "repo/tree.h"

namespace lifeboat {
namespace {

struct PackInfo {
  Id id;
  std::vector<PackedBlob> blobs;
  std::vector<bool> used;  // per blob: this copy is the one the repository needs
  uint64_t size = 0;       // bytes in storage
  uint64_t used_bytes = 0, unused_bytes = 0;
  uint64_t used_count = 0;
};

// Every blob the snapshots reference. Fails if any tree cannot be loaded.
Status FindUsedBlobs(Repository& repo, const std::vector<Snapshot>& snapshots,
                     std::unordered_set<Id, IdHash>* used_trees, std::unordered_set<Id, IdHash>* used_data) {
  std::vector<Id> stack;
  for (const Snapshot& s : snapshots) stack.push_back(s.tree);
  while (!stack.empty()) {
    Id id = stack.back();
    stack.pop_back();
    if (!used_trees->insert(id).second) continue;
    auto json = repo.LoadBlob(BlobType::kTree, id);
    if (!json.ok()) {
      return json.status().WithContext("prune: tree " + id.Short() + " cannot be read, so nothing is removed");
    }
    LB_ASSIGN_OR_RETURN(Tree tree, DecodeTree(*json));
    for (const Node& n : tree.nodes) {
      if (n.subtree) stack.push_back(*n.subtree);
      for (const Id& d : n.content) used_data->insert(d);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<PruneReport> Prune(Repository& repo, const PruneOptions& options, ProgressCounters* progress) {
  PruneReport report;
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> snapshots, repo.LoadAllSnapshots());
  report.snapshots = snapshots.size();
  std::unordered_set<Id, IdHash> used[2];  // by BlobType
  LB_RETURN_IF_ERROR(FindUsedBlobs(repo, snapshots, &used[1], &used[0]));
  // Every referenced blob must be indexed, or removing anything is unsafe.
  for (int t = 0; t < 2; ++t) {
    for (const Id& id : used[t]) {
      if (!repo.index().Has(static_cast<BlobType>(t), id)) {
        return Corrupt("prune: " + std::string(BlobTypeName(static_cast<BlobType>(t))) + " blob " + id.Short() +
                       " is referenced but in no index; run check (and a backup to re-add it) before pruning");
      }
    }
  }

  std::map<Id, uint64_t> stored;
  LB_RETURN_IF_ERROR(repo.storage().List(FileType::kPack, [&](const ObjectInfo& o) {
    if (auto id = Id::FromHex(o.name)) stored[*id] = o.size;
  }));
  std::vector<PackInfo> packs;
  std::unordered_map<Id, size_t, IdHash> pack_number;
  repo.index().ForEachPack([&](const Id& id, std::vector<PackedBlob>& blobs) {
    pack_number[id] = packs.size();
    PackInfo p;
    p.id = id;
    p.blobs = std::move(blobs);
    p.used.assign(p.blobs.size(), false);
    packs.push_back(std::move(p));
  });
  for (PackInfo& p : packs) {
    auto it = stored.find(p.id);
    if (it == stored.end()) {
      return Corrupt("prune: pack " + p.id.Hex() + " is in the index but not in storage; run check first");
    }
    p.size = it->second;
  }
  // A blob stored twice is used in one place only: the one the index answers with.
  for (PackInfo& p : packs) {
    for (size_t i = 0; i < p.blobs.size(); ++i) {
      const PackedBlob& b = p.blobs[i];
      if (!used[static_cast<int>(b.type)].count(b.id)) continue;
      auto loc = repo.index().Lookup(b.type, b.id);
      p.used[i] = loc && loc->pack == p.id && loc->blob.offset == b.offset;
    }
  }
  uint64_t total_size = 0;
  for (PackInfo& p : packs) {
    uint64_t header = p.size;
    for (size_t i = 0; i < p.blobs.size(); ++i) {
      header -= std::min<uint64_t>(header, p.blobs[i].length);
      if (p.used[i]) {
        p.used_bytes += p.blobs[i].length;
        ++p.used_count;
        ++report.used_blobs;
      } else {
        p.unused_bytes += p.blobs[i].length;
        ++report.unused_blobs;
      }
    }
    p.used_bytes += header;  // the pack header goes with the used part
    report.used_bytes += p.used_bytes;
    report.unused_bytes += p.unused_bytes;
    total_size += p.size;
  }

  // Classify.
  std::vector<size_t> keep, remove, partly;
  for (size_t i = 0; i < packs.size(); ++i) {
    if (packs[i].used_count == 0) {
      remove.push_back(i);
    } else if (packs[i].unused_bytes == 0) {
      keep.push_back(i);
    } else {
      partly.push_back(i);
    }
  }
  for (size_t i : remove) report.bytes_delete += packs[i].size;
  std::vector<Id> unindexed;
  for (const auto& [id, size] : stored) {
    if (!pack_number.count(id)) {
      unindexed.push_back(id);
      report.bytes_delete += size;
    }
  }
  report.packs_unindexed = unindexed.size();
  // Repack the most wasteful partly used packs until what stays unused is
  // within the limit, and no more than the repack budget.
  uint64_t limit = options.max_unused_bytes >= 0
                       ? static_cast<uint64_t>(options.max_unused_bytes)
                       : static_cast<uint64_t>(options.max_unused_fraction * static_cast<double>(total_size));
  std::sort(partly.begin(), partly.end(), [&](size_t a, size_t b) {
    double ra = double(packs[a].unused_bytes) / double(packs[a].size + 1);
    double rb = double(packs[b].unused_bytes) / double(packs[b].size + 1);
    return ra > rb;
  });
  uint64_t unused_left = 0;
  for (size_t i : partly) unused_left += packs[i].unused_bytes;
  std::vector<size_t> repack;
  for (size_t i : partly) {
    bool over_budget = options.max_repack_bytes >= 0 &&
                       report.bytes_repack + packs[i].size > static_cast<uint64_t>(options.max_repack_bytes);
    if (unused_left > limit && !over_budget) {
      repack.push_back(i);
      report.bytes_repack += packs[i].size;
      report.bytes_rewritten += packs[i].used_bytes;
      unused_left -= packs[i].unused_bytes;
    } else {
      keep.push_back(i);
    }
  }
  report.unused_after = unused_left;
  report.packs_total = packs.size() + unindexed.size();
  report.packs_keep = keep.size();
  report.packs_delete = remove.size() + unindexed.size();
  report.packs_repack = repack.size();
  if (options.dry_run) {
    report.bytes_freed = report.bytes_delete + report.bytes_repack - report.bytes_rewritten;
    return report;
  }
  bool nothing_to_do = remove.empty() && repack.empty() && unindexed.empty();
  if (nothing_to_do) return report;

  // 3. Repack: copy the used blobs into new packs.
  if (progress != nullptr) progress->bytes_total = report.bytes_rewritten;
  uint64_t stored_before = repo.write_stats().stored_bytes.load();
  std::vector<std::string> to_read;  // restored first if they are in an archive tier
  for (size_t i : repack) to_read.push_back(packs[i].id.Hex());
  LB_RETURN_IF_ERROR(repo.storage().PrepareRead(FileType::kPack, to_read));
  for (size_t i : repack) {
    const PackInfo& p = packs[i];
    for (size_t k = 0; k < p.blobs.size(); ++k) {
      if (!p.used[k]) continue;
      const PackedBlob& b = p.blobs[k];
      LB_ASSIGN_OR_RETURN(std::string data, repo.LoadBlob(b.type, b.id));
      LB_RETURN_IF_ERROR(repo.SaveBlob(b.type, b.id, data, /*force=*/true).status());
      if (progress != nullptr) progress->bytes_done += b.length;
    }
  }
  LB_RETURN_IF_ERROR(repo.Flush());

  // 4. The new index: every pack that stays, and the new ones (with only
  // their own blobs), then delete the old index files, then the packs.
  LB_ASSIGN_OR_RETURN(std::vector<Id> old_index_files, repo.ListIds(FileType::kIndex));
  std::unordered_set<Id, IdHash> gone;
  for (size_t i : remove) gone.insert(packs[i].id);
  for (size_t i : repack) gone.insert(packs[i].id);
  std::vector<IndexedPack> final_packs;
  repo.index().ForEachPack([&](const Id& id, std::vector<PackedBlob>& blobs) {
    if (gone.count(id)) return;
    final_packs.push_back(IndexedPack{id, std::move(blobs)});
  });
  LB_ASSIGN_OR_RETURN(std::vector<Id> written, repo.WriteIndex(std::move(final_packs)));
  report.index_files_written = written.size();
  std::unordered_set<Id, IdHash> keep_index(written.begin(), written.end());
  for (const Id& f : old_index_files) {
    if (keep_index.count(f)) continue;
    LB_RETURN_IF_ERROR(repo.storage().Remove(FileType::kIndex, f.Hex()));
    ++report.index_files_removed;
  }
  for (const Id& id : gone) LB_RETURN_IF_ERROR(repo.storage().Remove(FileType::kPack, id.Hex()));
  for (const Id& id : unindexed) LB_RETURN_IF_ERROR(repo.storage().Remove(FileType::kPack, id.Hex()));
  uint64_t added = repo.write_stats().stored_bytes.load() - stored_before;
  report.bytes_freed = report.bytes_delete + report.bytes_repack > added
                           ? report.bytes_delete + report.bytes_repack - added
                           : 0;
  return report;
}

}  // namespace lifeboat
