#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "engine/select.h"

namespace lifeboat::cli {
namespace {

void PrintJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

int RunCat(Context& ctx) {
  const auto& pos = ctx.args().positional();
  if (pos.empty()) {
    return Fail(ctx, InvalidArgument("cat needs a type: config, index, snapshot, key, lock, blob, tree"));
  }
  const std::string& what = pos[0];
  if (what == "masterkey") {
    return Fail(ctx, InvalidArgument("lifeboat does not print the master key"));
  }
  auto repo = ctx.Open(Context::LockMode::kNone);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Repository& r = **repo;
  if (what == "config") {
    PrintJson(r.config().ToJson());
    return kExitOk;
  }
  if (pos.size() < 2) return Fail(ctx, InvalidArgument("cat " + what + " needs an ID"));
  const std::string& name = pos[1];
  FileType type;
  if (what == "index") type = FileType::kIndex;
  else if (what == "snapshot") type = FileType::kSnapshot;
  else if (what == "key") type = FileType::kKey;
  else if (what == "lock") type = FileType::kLock;
  else if (what == "blob" || what == "tree") {
    Status s = r.LoadIndex();
    if (!s.ok()) return Fail(ctx, s);
    Id id;
    if (what == "tree") {
      // A snapshot ID (or "latest") names its root tree; a tree blob ID works too.
      auto snap = FindSnapshot(r, name, SnapshotFilter{});
      if (snap.ok()) {
        id = snap->tree;
      } else {
        auto parsed = Id::FromHex(name);
        if (!parsed) return Fail(ctx, snap.status());
        id = *parsed;
      }
    } else {
      auto parsed = Id::FromHex(name);
      if (!parsed) return Fail(ctx, InvalidArgument("cat blob needs a full 64-character blob ID"));
      id = *parsed;
    }
    BlobType bt = what == "tree" || !r.index().Has(BlobType::kData, id) ? BlobType::kTree : BlobType::kData;
    auto blob = r.LoadBlob(bt, id);
    if (!blob.ok()) return Fail(ctx, blob.status());
    if (bt == BlobType::kTree) {
      PrintJson(*blob);
    } else {
      std::fwrite(blob->data(), 1, blob->size(), stdout);
    }
    return kExitOk;
  } else {
    return Fail(ctx, InvalidArgument("cat: unknown type \"" + what + "\""));
  }
  Result<Id> id = InvalidArgument("");
  if (type == FileType::kSnapshot) {  // "latest" too, as for cat tree
    auto snap = FindSnapshot(r, name, ctx.Filter());
    id = snap.ok() ? Result<Id>(snap->id) : Result<Id>(snap.status());
  } else {
    id = r.ResolvePrefix(type, name);
  }
  if (!id.ok()) return Fail(ctx, id.status());
  if (type == FileType::kKey) {
    auto text = r.storage().Load(type, id->Hex());
    if (!text.ok()) return Fail(ctx, text.status());
    PrintJson(*text);
    return kExitOk;
  }
  auto text = r.LoadUnpacked(type, *id);
  if (!text.ok()) return Fail(ctx, text.status());
  PrintJson(*text);
  return kExitOk;
}

}  // namespace

Command CatCommand() {
  return {"cat", "cat config | index ID | snapshot ID | key ID | lock ID | blob ID | tree SNAPSHOT|ID",
          "print repository objects (decrypted) for debugging", {}, RunCat};
}

}  // namespace lifeboat::cli
