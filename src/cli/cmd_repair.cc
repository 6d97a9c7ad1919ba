// repair index: rebuilds the index from the packs' own headers (after index
// files were lost or damaged). New index files are written before the old
// ones are deleted, so an interruption leaves a usable repository.
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "base/bytes.h"
#include "base/thread_pool.h"
#include "cli/commands.h"
#include "repo/pack.h"

namespace lifeboat::cli {
namespace {

int RunRepairIndex(Context& ctx) {
  auto repo = ctx.Open(Context::LockMode::kExclusive);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Repository& r = **repo;
  std::vector<ObjectInfo> packs;
  Status s = r.storage().List(FileType::kPack, [&](const ObjectInfo& o) { packs.push_back(o); });
  if (!s.ok()) return Fail(ctx, s);
  auto old_files = r.ListIds(FileType::kIndex);
  if (!old_files.ok()) return Fail(ctx, old_files.status());

  std::vector<IndexedPack> indexed;
  std::vector<std::string> damaged;
  std::mutex mu;
  (void)ParallelFor(packs.size(), 4, [&](size_t i) -> Status {  // a damaged pack is noted, not fatal
    auto id = Id::FromHex(packs[i].name);
    if (!id) return Status::Ok();
    auto blobs = ReadPackHeader(r.storage(), r.key(), *id, packs[i].size);
    std::lock_guard<std::mutex> lock(mu);
    if (blobs.ok()) {
      indexed.push_back(IndexedPack{*id, std::move(*blobs)});
    } else {
      damaged.push_back("pack " + packs[i].name + ": " + blobs.status().message());
    }
    return Status::Ok();
  });

  uint64_t blobs = 0;
  for (const auto& p : indexed) blobs += p.blobs.size();
  auto written = r.WriteIndex(std::move(indexed));
  if (!written.ok()) return Fail(ctx, written.status().WithContext("repair index"));
  std::set<Id> keep(written->begin(), written->end());
  size_t removed = 0;
  for (const Id& f : *old_files) {
    if (keep.count(f)) continue;
    Status rs = r.storage().Remove(FileType::kIndex, f.Hex());
    if (!rs.ok()) return Fail(ctx, rs.WithContext("repair index"));
    ++removed;
  }
  for (const auto& d : damaged) std::fprintf(stderr, "warning: %s (left out of the index)\n", d.c_str());
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"}, {"packs", packs.size() - damaged.size()},
                     {"damaged_packs", damaged.size()}, {"blobs", blobs},
                     {"index_files_written", written->size()}, {"index_files_removed", removed}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("read the headers of %zu packs (%zu damaged): %llu blobs; wrote %zu index files, removed %zu\n",
                packs.size(), damaged.size(), (unsigned long long)blobs, written->size(), removed);
  }
  return damaged.empty() ? kExitOk : kExitIncomplete;
}

int RunRepair(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.size() == 1 && pos[0] == "index") return RunRepairIndex(ctx);
  return Fail(ctx, InvalidArgument("repair: want \"repair index\" (rebuild the index from the packs); to drop a "
                                   "damaged snapshot use \"forget ID\""));
}

}  // namespace

Command RepairCommand() {
  return {"repair", "repair index", "rebuild the index from the packs' headers", {}, RunRepair};
}

}  // namespace lifeboat::cli
