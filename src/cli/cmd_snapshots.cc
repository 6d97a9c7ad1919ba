#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "engine/select.h"

namespace lifeboat::cli {
namespace {

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

// Also used by forget.
nlohmann::json SnapshotJson(const Snapshot& s) {
  nlohmann::json j{{"id", s.id.Hex()},           {"short_id", s.id.Short()},
                   {"time", FormatRfc3339(s.time)}, {"tree", s.tree.Hex()},
                   {"paths", s.paths},           {"hostname", s.hostname},
                   {"username", s.username},     {"uid", s.uid},
                   {"gid", s.gid}};
  if (s.parent) j["parent"] = s.parent->Hex();
  if (s.original) j["original"] = s.original->Hex();
  if (!s.tags.empty()) j["tags"] = s.tags;
  if (!s.excludes.empty()) j["excludes"] = s.excludes;
  if (!s.program_version.empty()) j["program_version"] = s.program_version;
  return j;
}

namespace {

int RunSnapshots(Context& ctx) {
  auto repo = ctx.Open(Context::LockMode::kShared);
  if (!repo.ok()) return Fail(ctx, repo.status());
  SnapshotFilter filter = ctx.Filter();
  auto all = (*repo)->LoadAllSnapshots();
  if (!all.ok()) return Fail(ctx, all.status());
  std::vector<Snapshot> list = FilterSnapshots(std::move(*all), filter);
  std::vector<std::string> ids = ctx.args().positional();
  if (!ids.empty()) {
    // IDs, prefixes and "latest" (the newest passing the filters), as restic.
    std::vector<Snapshot> picked;
    for (const auto& s : list) {
      bool newest = !list.empty() && &s == &list.back();
      for (const auto& want : ids) {
        if ((want == "latest" && newest) || (want != "latest" && s.id.Hex().compare(0, want.size(), want) == 0)) {
          picked.push_back(s);
          break;
        }
      }
    }
    list = picked;
  }
  if (ctx.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : list) arr.push_back(SnapshotJson(s));
    std::printf("%s\n", arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("%-8s  %-19s  %-16s  %-16s  %s\n", "ID", "Time", "Host", "Tags", "Paths");
  std::printf("%s\n", std::string(80, '-').c_str());
  for (const auto& s : list) {
    std::printf("%-8s  %-19s  %-16s  %-16s  %s\n", s.id.Short().c_str(), FormatLocal(s.time).c_str(),
                s.hostname.c_str(), Join(s.tags, ",").c_str(), Join(s.paths, " ").c_str());
  }
  std::printf("%s\n%zu snapshots\n", std::string(80, '-').c_str(), list.size());
  return kExitOk;
}

}  // namespace

Command SnapshotsCommand() {
  std::vector<FlagSpec> flags;
  AddFilterFlags(&flags);
  return {"snapshots", "snapshots [flags] [SNAPSHOT-ID...]", "list snapshots", flags, RunSnapshots};
}

}  // namespace lifeboat::cli
