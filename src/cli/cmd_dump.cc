#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "cli/commands.h"
#include "engine/select.h"
#include "engine/snapshot_reader.h"
#include "engine/walk.h"
#include "source/registry.h"

namespace lifeboat::cli {
namespace {

int RunDump(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.empty() || pos.size() > 2) return Fail(ctx, InvalidArgument("dump needs a snapshot ID and a file path"));
  // SNAPSHOT alone (or --format): the data of a database snapshot, in its
  // system's own format, by the snapshot's driver.
  bool db_form = pos.size() == 1 || ctx.args().Has("format");
  auto snap = db_form ? OpenDatabaseSnapshot(ctx, pos[0], nullptr) : ctx.OpenSnapshot(pos[0]);
  if (!snap.ok()) return Fail(ctx, snap.status());
  if (db_form) {
    const Driver* d = DriverForSnapshot(*snap);
    if (d == nullptr || !d->dump) {
      return Fail(ctx, InvalidArgument("dump needs a file path (snapshot " + snap->id.Short() +
                                       " is not a database backup)"));
    }
    if (pos.size() == 2) return Fail(ctx, InvalidArgument("dump of a " + d->name + " backup takes no path"));
    RepoSnapshotReader reader(ctx.repo(), *snap);
    Status s = d->dump(reader, ArgsOptions(ctx.args()), STDOUT_FILENO);
    if (!s.ok()) return Fail(ctx, s.WithContext("dump"));
    return kExitOk;
  }
  Repository& repo = ctx.repo();
  auto node = FindPath(repo, snap->tree, pos[1]);
  if (!node.ok()) return Fail(ctx, node.status());
  if (node->type != "file") {
    return Fail(ctx, InvalidArgument(pos[1] + " is a " + node->type + ", dump writes regular files"));
  }
  Status s = WriteFileContents(repo, *node, STDOUT_FILENO, "standard output");
  if (!s.ok()) return Fail(ctx, s.WithContext("dump " + pos[1]));
  return kExitOk;
}

}  // namespace

Command DumpCommand() {
  std::vector<FlagSpec> flags = {
      {"format", 0, true, "PostgreSQL: custom (as pg_dump -Fc wrote it) or sql (a plain SQL script)", "FORMAT"},
      {"database", 0, true, "PostgreSQL: which database of the snapshot (if it holds several)", "NAME"},
  };
  AddFilterFlags(&flags);
  return {"dump", "dump [flags] SNAPSHOT FILE | SNAPSHOT (a database backup: pg_dump's format, or the RDB)",
          "write a file from a snapshot, or a database backup in its own format, to standard output", flags, RunDump};
}

}  // namespace lifeboat::cli
