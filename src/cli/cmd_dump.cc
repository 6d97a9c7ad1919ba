#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "cli/commands.h"
#include "engine/select.h"
#include "engine/walk.h"
#include "source/postgres/restore.h"
#include "source/redis/restore.h"

namespace lifeboat::cli {
namespace {

int RunDump(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.empty() || pos.size() > 2) return Fail(ctx, InvalidArgument("dump needs a snapshot ID and a file path"));
  bool pg_form = pos.size() == 1 || ctx.args().Has("format");
  auto snap = pg_form ? OpenDatabaseSnapshot(ctx, pos[0], false) : ctx.OpenSnapshot(pos[0]);
  if (!snap.ok()) return Fail(ctx, snap.status());
  if (pos.size() == 1 && redis::IsRedisSnapshot(*snap)) return RunRedisDump(ctx, *snap);  // the RDB
  if (pg_form) {
    if (!pg::IsLogicalSnapshot(*snap)) {
      return Fail(ctx, InvalidArgument("dump needs a file path (snapshot " + snap->id.Short() +
                                       " is not a PostgreSQL backup)"));
    }
    if (pos.size() == 2) return Fail(ctx, InvalidArgument("dump of a PostgreSQL backup takes --database, not a path"));
    return RunPgDump(ctx, *snap);
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
  return {"dump", "dump [flags] SNAPSHOT FILE | SNAPSHOT [--format custom|sql] (PostgreSQL)",
          "write a file from a snapshot (or a --stdin backup) to standard output", flags, RunDump};
}

}  // namespace lifeboat::cli
