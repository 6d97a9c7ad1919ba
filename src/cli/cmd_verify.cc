// verify: the restore test of a database snapshot, by its driver (a
// scratch server, the fingerprint recorded at backup compared).
#include <cstdio>

#include "cli/commands.h"
#include "engine/snapshot_reader.h"
#include "source/registry.h"

namespace lifeboat::cli {
namespace {

int RunVerify(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.size() > 1) return Fail(ctx, InvalidArgument("verify takes at most one snapshot ID"));
  Result<Snapshot> snap = OpenDatabaseSnapshot(ctx, pos.empty() ? "latest" : pos[0], nullptr);
  if (!snap.ok()) return Fail(ctx, snap.status());
  const Driver* d = DriverForSnapshot(*snap);
  if (d == nullptr || !d->verify) {
    return Fail(ctx, InvalidArgument(
                         "snapshot " + snap->id.Short() +
                         " is not a database backup; for files use check --read-data or restore --verify"));
  }
  RepoSnapshotReader reader(ctx.repo(), *snap);
  auto outcome = d->verify(reader, ArgsOptions(ctx.args()));
  if (!outcome.ok()) return Fail(ctx, outcome.status().WithContext("verify"));
  PrintReport(ctx, "verify", *snap, outcome->report);
  if (!outcome->passed) {
    if (!ctx.json()) {
      std::fprintf(stderr, "lifeboat: verify: snapshot %s did not restore to the data it was taken of\n",
                   snap->id.Short().c_str());
    }
    return kExitDataError;
  }
  return kExitOk;
}

}  // namespace

Command VerifyCommand() {
  std::vector<FlagSpec> flags = {
      {"jobs", 'j', true, "PostgreSQL: pg_restore jobs and fingerprint connections (default 2)", "N"},
      {"against", 0, true,
       "PostgreSQL: compare with this live database instead of restoring into a scratch server", "URL"},
      {"database", 0, true, "PostgreSQL, with --against: which database of the snapshot", "NAME"},
  };
  AddFilterFlags(&flags);
  return {"verify", "verify [flags] [SNAPSHOT]",
          "restore test: load a database snapshot into a scratch server and compare its fingerprint", flags,
          RunVerify};
}

}  // namespace lifeboat::cli
