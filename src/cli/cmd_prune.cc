#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/prune.h"

namespace lifeboat::cli {
namespace {

// "500M", "2G", "1048576", "10K" (powers of 1024); -1 for "unlimited".
Result<int64_t> ParseSize(const std::string& flag, const std::string& v) {
  if (v == "unlimited") return -1;
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || n < 0) return InvalidArgument("--" + flag + ": want a size like 500M, not \"" + v + "\"");
  std::string unit(end);
  double mult = 1;
  if (unit == "K" || unit == "k") mult = 1024.0;
  else if (unit == "M" || unit == "m") mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty()) return InvalidArgument("--" + flag + ": unknown unit \"" + unit + "\" (K, M, G, T)");
  return static_cast<int64_t>(n * mult);
}

}  // namespace

Result<PruneOptions> PruneOptionsFromFlags(const Args& args) {
  PruneOptions o;
  o.dry_run = args.Has("dry-run");
  std::string unused = args.Get("max-unused", "5%");
  if (!unused.empty() && unused.back() == '%') {
    char* end = nullptr;
    double pct = std::strtod(unused.c_str(), &end);
    if (end != unused.c_str() + unused.size() - 1 || pct < 0 || pct > 100) {
      return InvalidArgument("--max-unused: want a percentage, a size or \"unlimited\", not \"" + unused + "\"");
    }
    o.max_unused_fraction = pct / 100.0;
  } else {
    LB_ASSIGN_OR_RETURN(o.max_unused_bytes, ParseSize("max-unused", unused));
    if (o.max_unused_bytes < 0) o.max_unused_bytes = INT64_MAX;
  }
  if (args.Has("max-repack-size")) {
    LB_ASSIGN_OR_RETURN(o.max_repack_bytes, ParseSize("max-repack-size", args.Get("max-repack-size")));
  }
  return o;
}

int RunPruneWith(Context& ctx, Repository& repo, const PruneOptions& opts) {
  Status s = repo.LoadIndex();
  if (!s.ok()) return Fail(ctx, s);
  ProgressCounters counters;
  ProgressPrinter printer(&counters, ctx.json(), ctx.quiet() || opts.dry_run, "prune");
  auto report = Prune(repo, opts, &counters);
  printer.Stop();
  if (!report.ok()) return Fail(ctx, report.status());
  const PruneReport& r = *report;
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"},         {"dry_run", opts.dry_run},
                     {"snapshots", r.snapshots},          {"used_blobs", r.used_blobs},
                     {"unused_blobs", r.unused_blobs},    {"used_bytes", r.used_bytes},
                     {"unused_bytes", r.unused_bytes},    {"packs_total", r.packs_total},
                     {"packs_keep", r.packs_keep},        {"packs_delete", r.packs_delete},
                     {"packs_repack", r.packs_repack},    {"packs_unindexed", r.packs_unindexed},
                     {"bytes_delete", r.bytes_delete},    {"bytes_repack", r.bytes_repack},
                     {"bytes_rewritten", r.bytes_rewritten}, {"bytes_freed", r.bytes_freed},
                     {"unused_after", r.unused_after},    {"index_files_removed", r.index_files_removed},
                     {"index_files_written", r.index_files_written}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("used:     %llu blobs, %s\n", (unsigned long long)r.used_blobs, HumanBytes(r.used_bytes).c_str());
    std::printf("unused:   %llu blobs, %s\n", (unsigned long long)r.unused_blobs, HumanBytes(r.unused_bytes).c_str());
    std::printf("packs:    %llu in all: %llu kept, %llu %s whole (%llu no index named), %llu %s\n",
                (unsigned long long)r.packs_total, (unsigned long long)r.packs_keep,
                (unsigned long long)r.packs_delete, opts.dry_run ? "would be deleted" : "deleted",
                (unsigned long long)r.packs_unindexed, (unsigned long long)r.packs_repack,
                opts.dry_run ? "would be repacked" : "repacked");
    std::printf("%s %s, rewrote %s; %s unused left\n", opts.dry_run ? "would free" : "freed",
                HumanBytes(r.bytes_freed).c_str(), HumanBytes(r.bytes_rewritten).c_str(),
                HumanBytes(r.unused_after).c_str());
    if (opts.dry_run) std::printf("dry run: nothing was changed\n");
  }
  return kExitOk;
}

namespace {

int RunPrune(Context& ctx) {
  auto opts = PruneOptionsFromFlags(ctx.args());
  if (!opts.ok()) return Fail(ctx, opts.status());
  auto repo = ctx.Open(opts->dry_run ? Context::LockMode::kShared : Context::LockMode::kExclusive);
  if (!repo.ok()) return Fail(ctx, repo.status());
  return RunPruneWith(ctx, **repo, *opts);
}

}  // namespace

void AddPruneFlags(std::vector<FlagSpec>* flags) {
  flags->push_back({"max-unused", 0, true, "unused space allowed to stay: 5% (default), a size, or unlimited", "LIMIT"});
  flags->push_back({"max-repack-size", 0, true, "rewrite at most SIZE of partly used packs (e.g. 2G)", "SIZE"});
}

Command PruneCommand() {
  std::vector<FlagSpec> flags = {{"dry-run", 'n', false, "only show what would be removed and rewritten"}};
  AddPruneFlags(&flags);
  return {"prune", "prune [--max-unused 5%] [--max-repack-size SIZE] [--dry-run]",
          "remove data no snapshot needs: delete unused packs, rewrite mostly unused ones", flags, RunPrune};
}

}  // namespace lifeboat::cli
