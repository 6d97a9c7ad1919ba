#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/check.h"
#include "engine/snapshot_reader.h"
#include "env/clock.h"
#include "env/env.h"
#include "source/postgres/wal_map.h"
#include "verify/results.h"

namespace lifeboat::cli {
namespace {

// Records the check in the repository (verify/results.h), for doctor's
// "last check" and `verify --history`; a refused write is a warning.
void RecordCheck(Context& ctx, Repository& repo, const CheckReport& r, bool read_data, double seconds) {
  if (ctx.args().Has("no-record")) return;
  RunResult result;
  result.kind = "check";
  result.time = Clock::System()->Now();
  result.host = HostName();
  result.passed = r.ok();
  if (!r.ok()) result.reason = std::to_string(r.errors.size()) + " error(s); the first: " + r.errors.front();
  result.seconds = seconds;
  result.read_data = read_data ? "all" : "";
  auto saved = SaveResult(repo, result);
  if (!saved.ok()) {
    std::fprintf(stderr, "warning: the check's result was not recorded in the repository: %s\n",
                 saved.status().message().c_str());
  }
}

int RunCheckCmd(Context& ctx) {
  const auto start = std::chrono::steady_clock::now();
  CheckOptions opts;
  opts.read_data = ctx.args().Has("read-data");
  auto repo = ctx.Open(Context::LockMode::kShared);
  if (!repo.ok()) return Fail(ctx, repo.status());
  ProgressCounters counters;
  ProgressPrinter printer(&counters, ctx.json(), ctx.quiet() || !opts.read_data, "check");
  auto report = RunCheck(**repo, opts, &counters);
  printer.Stop();
  if (!report.ok()) return Fail(ctx, report.status().WithContext("check"));
  CheckReport& r = *report;
  // The WAL archive (wal/): gaps a recovery would stop at, and with
  // --read-data every archived file authenticated.
  RepoCatalog catalog(**repo);
  auto wal = pg::CheckWalArchive(**repo, catalog, opts.read_data);
  if (!wal.ok()) return Fail(ctx, wal.status().WithContext("check the WAL archive"));
  r.errors.insert(r.errors.end(), wal->errors.begin(), wal->errors.end());
  r.hints.insert(r.hints.end(), wal->hints.begin(), wal->hints.end());
  r.bytes_read += wal->bytes_read;
  RecordCheck(ctx, **repo, r, opts.read_data,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "summary"}, {"ok", r.ok()},          {"errors", r.errors},
                     {"hints", r.hints},          {"snapshots", r.snapshots}, {"trees", r.trees},
                     {"blobs", r.blobs},          {"packs", r.packs},      {"index_files", r.index_files},
                     {"bytes_read", r.bytes_read}, {"read_data", opts.read_data},
                     {"wal_files", wal->files}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    for (const auto& h : r.hints) {
      if (!ctx.quiet()) std::printf("hint: %s\n", h.c_str());
    }
    for (const auto& e : r.errors) std::printf("error: %s\n", e.c_str());
    if (!ctx.quiet()) {
      std::printf("checked %llu snapshots, %llu trees, %llu file blob references, %llu packs, %llu index files",
                  (unsigned long long)r.snapshots, (unsigned long long)r.trees, (unsigned long long)r.blobs,
                  (unsigned long long)r.packs, (unsigned long long)r.index_files);
      if (wal->files > 0) std::printf(", %llu WAL files", (unsigned long long)wal->files);
      if (opts.read_data) std::printf("; read %s", HumanBytes(r.bytes_read).c_str());
      std::printf("\n%s\n", r.ok() ? "no errors were found" : "");
    }
  }
  if (!r.ok()) {
    std::fprintf(stderr, "lifeboat: check found %zu error(s) in %s\n", r.errors.size(),
                 (*repo)->storage().Location().c_str());
    return kExitDataError;
  }
  return kExitOk;
}

}  // namespace

Command CheckCommand() {
  return {"check",
          "check [--read-data]",
          "verify the repository's structure (and with --read-data, every byte)",
          {{"read-data", 0, false, "read and verify every blob of every pack"},
           {"no-record", 0, false, "do not record the check's result in the repository (results/)"}},
          RunCheckCmd};
}

}  // namespace lifeboat::cli
