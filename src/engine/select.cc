#include "engine/select.h"

#include <algorithm>

#include "base/bytes.h"
#include "engine/pathmatch.h"

namespace lifeboat {

bool SnapshotFilter::Matches(const Snapshot& s) const {
  if (!hosts.empty() && std::find(hosts.begin(), hosts.end(), s.hostname) == hosts.end()) {
    return false;
  }
  if (!tags.empty()) {
    bool any = false;
    for (const std::string& group : tags) {
      bool all = true;
      for (const std::string& tag : SplitList(group)) {
        if (!s.HasTag(tag)) all = false;
      }
      any = any || all;
    }
    if (!any) return false;
  }
  for (const std::string& p : paths) {
    if (std::find(s.paths.begin(), s.paths.end(), p) == s.paths.end()) return false;
  }
  return true;
}

std::vector<Snapshot> FilterSnapshots(std::vector<Snapshot> all, const SnapshotFilter& filter) {
  std::vector<Snapshot> out;
  for (auto& s : all) {
    if (filter.Matches(s)) out.push_back(std::move(s));
  }
  return out;
}

Result<Snapshot> FindSnapshot(Repository& repo, const std::string& name, const SnapshotFilter& filter) {
  if (name == "latest") {
    LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo.LoadAllSnapshots());
    auto matching = FilterSnapshots(std::move(all), filter);
    if (matching.empty()) return NotFound("no snapshot found (\"latest\" matched nothing)");
    return matching.back();
  }
  auto id = repo.ResolvePrefix(FileType::kSnapshot, name);
  if (!id.ok()) {
    if (id.status().code() == Code::kNotFound) return NotFound("no snapshot with id \"" + name + "\"");
    return id.status();
  }
  return repo.LoadSnapshot(*id);
}

}  // namespace lifeboat
