#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/select.h"
#include "engine/walk.h"

namespace lifeboat::cli {
namespace {

int RunStats(Context& ctx) {
  std::string mode = ctx.args().Get("mode", "restore-size");
  if (mode != "restore-size" && mode != "raw-data") {
    return Fail(ctx, InvalidArgument("--mode must be restore-size or raw-data"));
  }
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
  Status s = r.LoadIndex();
  if (!s.ok()) return Fail(ctx, s);
  uint64_t files = 0, size = 0, blobs = 0, stored = 0, plain = 0;
  std::unordered_set<Id, IdHash> seen;
  for (const Snapshot& snap : snaps) {
    if (mode == "raw-data" && seen.insert(snap.tree).second) {
      if (auto loc = r.index().Lookup(BlobType::kTree, snap.tree)) {
        blobs++;
        stored += loc->blob.length;
        plain += loc->blob.compressed() ? loc->blob.uncompressed_length : loc->blob.length - kCryptoOverhead;
      }
    }
    s = WalkTree(r, snap.tree, "", [&](const std::string&, const Node& n) {
      if (mode == "restore-size") {
        if (n.type == "file") {
          files++;
          size += n.size;
        }
        return true;
      }
      if (n.type == "file") files++;
      auto count = [&](BlobType t, const Id& id) {
        if (!seen.insert(id).second) return false;
        if (auto loc = r.index().Lookup(t, id)) {
          blobs++;
          stored += loc->blob.length;
          plain += loc->blob.compressed() ? loc->blob.uncompressed_length : loc->blob.length - kCryptoOverhead;
        }
        return true;
      };
      for (const Id& c : n.content) count(BlobType::kData, c);
      // Shared subtrees were counted already: do not walk them twice.
      return n.subtree ? count(BlobType::kTree, *n.subtree) : true;
    });
    if (!s.ok()) return Fail(ctx, s);
  }
  if (mode == "restore-size") {
    if (ctx.json()) {
      std::printf("%s\n", nlohmann::json{{"total_size", size}, {"total_file_count", files},
                                         {"snapshots_count", snaps.size()}}.dump().c_str());
    } else {
      std::printf("Stats in restore-size mode:\n  Snapshots processed: %zu\n  Total file count:    %llu\n"
                  "  Total size:          %s\n",
                  snaps.size(), (unsigned long long)files, HumanBytes(size).c_str());
    }
  } else {
    double ratio = stored ? double(plain) / double(stored) : 0;
    if (ctx.json()) {
      std::printf("%s\n", nlohmann::json{{"total_size", stored}, {"total_uncompressed_size", plain},
                                         {"compression_ratio", ratio}, {"total_blob_count", blobs},
                                         {"snapshots_count", snaps.size()}}.dump().c_str());
    } else {
      std::printf("Stats in raw-data mode:\n  Snapshots processed:  %zu\n  Total blob count:     %llu\n"
                  "  Total uncompressed:   %s\n  Total stored size:    %s\n  Compression ratio:    %.2fx\n",
                  snaps.size(), (unsigned long long)blobs, HumanBytes(plain).c_str(), HumanBytes(stored).c_str(),
                  ratio);
    }
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
