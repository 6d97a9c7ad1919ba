#include "engine/repair.h"

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "base/thread_pool.h"
#include "repo/pack.h"

namespace lifeboat {

std::string RepairIndexSummary::ToJson() const {
  return nlohmann::json{{"packs", packs},
                        {"damaged_packs", damaged.size()},
                        {"blobs", blobs},
                        {"index_files_written", index_files_written},
                        {"index_files_removed", index_files_removed}}
      .dump();
}

Result<RepairIndexSummary> RepairIndex(Repository& repo) {
  std::vector<ObjectInfo> packs;
  LB_RETURN_IF_ERROR(repo.storage().List(FileType::kPack, [&](const ObjectInfo& o) { packs.push_back(o); }));
  LB_ASSIGN_OR_RETURN(auto old_files, repo.ListIds(FileType::kIndex));
  RepairIndexSummary sum;
  std::vector<IndexedPack> indexed;
  std::mutex mu;
  (void)ParallelFor(packs.size(), 4, [&](size_t i) -> Status {  // a damaged pack is noted, not fatal
    auto id = Id::FromHex(packs[i].name);
    if (!id) return Status::Ok();
    auto blobs = ReadPackHeader(repo.storage(), repo.key(), *id, packs[i].size);
    std::lock_guard<std::mutex> lock(mu);
    if (blobs.ok()) {
      indexed.push_back(IndexedPack{*id, std::move(*blobs)});
    } else {
      sum.damaged.push_back("pack " + packs[i].name + ": " + blobs.status().message());
    }
    return Status::Ok();
  });
  sum.packs = packs.size() - sum.damaged.size();
  for (const auto& p : indexed) sum.blobs += p.blobs.size();
  auto written = repo.WriteIndex(std::move(indexed));
  if (!written.ok()) return written.status().WithContext("repair index");
  sum.index_files_written = written->size();
  std::set<Id> keep(written->begin(), written->end());
  for (const Id& f : old_files) {
    if (keep.count(f)) continue;
    LB_RETURN_IF_ERROR(repo.storage().Remove(FileType::kIndex, f.Hex()).WithContext("repair index"));
    ++sum.index_files_removed;
  }
  return sum;
}

}  // namespace lifeboat
