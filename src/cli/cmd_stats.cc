#include <cstdio>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/select.h"
#include "engine/stats.h"

namespace lifeboat::cli {
namespace {

int RunStats(Context& ctx) {
  auto mode = ParseStatsMode(ctx.args().Get("mode", "restore-size"));
  if (!mode.ok()) return Fail(ctx, mode.status());
  auto repo = ctx.Open(Context::LockMode::kShared);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Repository& r = **repo;
  SnapshotFilter filter = ctx.Filter();
  std::vector<Snapshot> snaps;
  if (ctx.args().positional().empty()) {
    auto all = r.LoadAllSnapshots();
    if (!all.ok()) return Fail(ctx, all.status());
    snaps = FilterSnapshots(std::move(*all), filter);
  } else {
    for (const auto& name : ctx.args().positional()) {
      auto s = FindSnapshot(r, name, filter);
      if (!s.ok()) return Fail(ctx, s.status());
      snaps.push_back(*s);
    }
  }
  Status loaded = r.LoadIndex();
  if (!loaded.ok()) return Fail(ctx, loaded);
  auto st = ComputeStats(r, snaps, *mode);
  if (!st.ok()) return Fail(ctx, st.status());
  if (ctx.json()) {
    std::printf("%s\n", st->ToJson().c_str());
  } else if (*mode == StatsMode::kRestoreSize) {
    std::printf("Stats in restore-size mode:\n  Snapshots processed: %llu\n  Total file count:    %llu\n"
                "  Total size:          %s\n",
                (unsigned long long)st->snapshots, (unsigned long long)st->files, HumanBytes(st->size).c_str());
  } else {
    std::printf("Stats in raw-data mode:\n  Snapshots processed:  %llu\n  Total blob count:     %llu\n"
                "  Total uncompressed:   %s\n  Total stored size:    %s\n  Compression ratio:    %.2fx\n",
                (unsigned long long)st->snapshots, (unsigned long long)st->blobs,
                HumanBytes(st->uncompressed).c_str(), HumanBytes(st->stored).c_str(), st->compression_ratio());
  }
  return kExitOk;
}

}  // namespace

Command StatsCommand() {
  std::vector<FlagSpec> flags = {{"mode", 0, true, "restore-size (default) or raw-data", "MODE"}};
  AddFilterFlags(&flags);
  return {"stats", "stats [flags] [SNAPSHOT...]", "show sizes: what a restore would write, or what is stored",
          flags, RunStats};
}

}  // namespace lifeboat::cli
