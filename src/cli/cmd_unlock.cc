#include <cstdio>

#include "cli/commands.h"

namespace lifeboat::cli {
namespace {

int RunUnlock(Context& ctx) {
  auto repo = ctx.Open(Context::LockMode::kNone);
  if (!repo.ok()) return Fail(ctx, repo.status());
  auto removed = RemoveLocks(**repo, ctx.args().Has("remove-all"));
  if (!removed.ok()) return Fail(ctx, removed.status());
  if (!ctx.quiet()) std::printf("removed %d lock(s)\n", *removed);
  return kExitOk;
}

}  // namespace

Command UnlockCommand() {
  return {"unlock", "unlock [--remove-all]", "remove stale locks (or all with --remove-all)",
          {{"remove-all", 0, false, "remove all locks, even those of running processes"}},
          RunUnlock};
}

}  // namespace lifeboat::cli
