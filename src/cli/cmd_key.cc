#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "env/env.h"

namespace lifeboat::cli {
namespace {

Result<Secret> NewPassword(const Context& ctx) {
  if (ctx.args().Has("new-password-file")) {
    LB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(ctx.args().Get("new-password-file")));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) return InvalidArgument("--new-password-file holds an empty password");
    return Secret(std::move(text));
  }
  LB_ASSIGN_OR_RETURN(Secret first, PromptPassword("enter new password: "));
  LB_ASSIGN_OR_RETURN(Secret second, PromptPassword("enter new password again: "));
  if (first.reveal() != second.reveal()) return InvalidArgument("the passwords do not match");
  if (first.empty()) return InvalidArgument("an empty password is not allowed");
  return first;
}

Result<Id> AddKey(Repository& repo, const Secret& password) {
  LB_ASSIGN_OR_RETURN(KeyFile kf, KeyFile::Create(password, repo.key(), KdfParams::Calibrated()));
  std::string json = kf.ToJson();
  Id id = Id::Hash(json);
  LB_RETURN_IF_ERROR(repo.storage().Save(FileType::kKey, id.Hex(), json));
  return id;
}

int RunKey(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.empty()) return Fail(ctx, InvalidArgument("key needs a subcommand: list, add, remove, passwd"));
  const std::string& sub = pos[0];
  bool exclusive = sub == "remove" || sub == "passwd";
  auto mode = exclusive ? Context::LockMode::kExclusive : Context::LockMode::kShared;
  bool prompts = sub == "add" || sub == "passwd";
  // add and passwd prompt for the new password before taking the lock: a
  // prompt left waiting must not keep other clients out.
  auto repo = ctx.Open(prompts ? Context::LockMode::kNone : mode);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Repository& r = **repo;
  if (sub == "list") {
    auto ids = r.ListIds(FileType::kKey);
    if (!ids.ok()) return Fail(ctx, ids.status());
    nlohmann::json arr = nlohmann::json::array();
    if (!ctx.json()) {
      std::printf(" %-10s %-12s %-16s %s\n", "ID", "User", "Host", "Created");
      std::printf("%s\n", std::string(64, '-').c_str());
    }
    for (const Id& id : *ids) {
      auto text = r.storage().Load(FileType::kKey, id.Hex());
      if (!text.ok()) return Fail(ctx, text.status());
      auto kf = KeyFile::FromJson(*text);
      if (!kf.ok()) return Fail(ctx, kf.status().WithContext("key " + id.Hex()));
      bool current = id.Hex() == r.key_name();
      if (ctx.json()) {
        arr.push_back({{"id", id.Hex()}, {"current", current}, {"userName", kf->username},
                       {"hostName", kf->hostname}, {"created", FormatRfc3339(kf->created)}});
      } else {
        std::printf("%s%-10s %-12s %-16s %s\n", current ? "*" : " ", id.Short().c_str(), kf->username.c_str(),
                    kf->hostname.c_str(), FormatLocal(kf->created).c_str());
      }
    }
    if (ctx.json()) std::printf("%s\n", arr.dump().c_str());
    return kExitOk;
  }
  if (sub == "add" || sub == "passwd") {
    auto password = NewPassword(ctx);
    if (!password.ok()) return Fail(ctx, password.status());
    if (Status locked = ctx.Lock(mode); !locked.ok()) return Fail(ctx, locked);
    auto id = AddKey(r, *password);
    if (!id.ok()) return Fail(ctx, id.status());
    if (sub == "passwd") {
      Status s = r.storage().Remove(FileType::kKey, r.key_name());
      if (!s.ok()) return Fail(ctx, s);
      if (!ctx.quiet()) std::printf("password changed: key %s replaces %s\n", id->Short().c_str(), r.key_name().substr(0, 8).c_str());
    } else if (!ctx.quiet()) {
      std::printf("saved new key %s\n", id->Short().c_str());
    }
    return kExitOk;
  }
  if (sub == "remove") {
    if (pos.size() != 2) return Fail(ctx, InvalidArgument("key remove needs a key ID"));
    auto id = r.ResolvePrefix(FileType::kKey, pos[1]);
    if (!id.ok()) return Fail(ctx, id.status());
    if (id->Hex() == r.key_name()) {
      return Fail(ctx, InvalidArgument("refusing to remove key " + id->Short() +
                                       ": it is the key in use; open the repository with another password first"));
    }
    Status s = r.storage().Remove(FileType::kKey, id->Hex());
    if (!s.ok()) return Fail(ctx, s);
    if (!ctx.quiet()) std::printf("removed key %s\n", id->Short().c_str());
    return kExitOk;
  }
  return Fail(ctx, InvalidArgument("key: unknown subcommand \"" + sub + "\""));
}

}  // namespace

Command KeyCommand() {
  return {"key", "key list | add | remove ID | passwd", "manage the passwords (key files) of a repository",
          {{"new-password-file", 0, true, "read the new password from FILE", "FILE"}},
          RunKey};
}

}  // namespace lifeboat::cli
