#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace lifeboat::cli {
namespace {

int RunInit(Context& ctx) {
  std::string url = ctx.RepoUrl();
  auto storage = ctx.OpenRepoStorage();
  if (!storage.ok()) return Fail(ctx, storage.status());
  int version = 2;
  std::string v = ctx.args().Get("repository-version", "2");
  if (v == "1") {
    version = 1;
  } else if (v != "2" && v != "latest" && v != "stable") {
    return Fail(ctx, InvalidArgument("--repository-version must be 1, 2 or latest, got \"" + v + "\""));
  }
  std::optional<uint64_t> polynomial;
  if (ctx.args().Has("copy-chunker-params")) {
    // The source's chunker polynomial, so that data copied from it (copy)
    // deduplicates with later backups made directly to this repository.
    auto src = OpenSourceRepository(ctx, nullptr);
    if (!src.ok()) return Fail(ctx, src.status().WithContext("init --copy-chunker-params"));
    polynomial = (*src)->config().polynomial;
  }
  auto password = ctx.Password();
  if (!password.ok()) return Fail(ctx, password.status());
  Status s = Repository::Init(**storage, *password, KdfParams::Calibrated(), version, polynomial);
  if (!s.ok()) return Fail(ctx, s.WithContext("init"));
  auto repo = Repository::Open(std::move(*storage), *password);
  if (!repo.ok()) return Fail(ctx, repo.status());
  if (ctx.json()) {
    nlohmann::json j{{"message_type", "initialized"}, {"id", (*repo)->config().id},
                     {"repository", url}, {"version", version}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("created lifeboat repository %s at %s (format version %d)\n",
                (*repo)->config().id.substr(0, 10).c_str(), url.c_str(), version);
    std::printf("Keep the password safe: without it the data cannot be recovered.\n");
  }
  return kExitOk;
}

}  // namespace

Command InitCommand() {
  return {"init", "init [flags]", "create a new repository",
          {{"repository-version", 0, true, "format version: 2 (default) or 1", "VERSION"},
           {"copy-chunker-params", 0, false, "use the chunker parameters of --from-repo (for copy)"},
           {"from-repo", 0, true, "the repository to take chunker parameters from", "URL"},
           {"from-password-file", 0, true, "password file of --from-repo (or LIFEBOAT_FROM_PASSWORD[_FILE])", "FILE"}},
          RunInit};
}

}  // namespace lifeboat::cli
