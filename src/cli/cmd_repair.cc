// repair index (engine/repair.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "engine/repair.h"

namespace lifeboat::cli {
namespace {

int RunRepairIndex(Context& ctx) {
  auto repo = ctx.Open(Context::LockMode::kExclusive);
  if (!repo.ok()) return Fail(ctx, repo.status());
  auto sum = RepairIndex(**repo);
  if (!sum.ok()) return Fail(ctx, sum.status());
  for (const auto& d : sum->damaged) std::fprintf(stderr, "warning: %s (left out of the index)\n", d.c_str());
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"}};
    j.update(nlohmann::json::parse(sum->ToJson()));
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("read the headers of %llu packs (%zu damaged): %llu blobs; wrote %llu index files, removed %llu\n",
                (unsigned long long)(sum->packs + sum->damaged.size()), sum->damaged.size(),
                (unsigned long long)sum->blobs, (unsigned long long)sum->index_files_written,
                (unsigned long long)sum->index_files_removed);
  }
  return sum->damaged.empty() ? kExitOk : kExitIncomplete;
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
