#include "repo/snapshot.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace lifeboat {

std::string Snapshot::ToJson() const {
  nlohmann::ordered_json j;
  j["time"] = FormatRfc3339(time);
  if (parent) j["parent"] = parent->Hex();
  j["tree"] = tree.Hex();
  j["paths"] = paths;
  j["hostname"] = hostname;
  j["username"] = username;
  j["uid"] = uid;
  j["gid"] = gid;
  if (!excludes.empty()) j["excludes"] = excludes;
  if (!tags.empty()) j["tags"] = tags;
  if (original) j["original"] = original->Hex();
  if (!program_version.empty()) j["program_version"] = program_version;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Snapshot> Snapshot::FromJson(std::string_view json) {
  // Wrong types in the JSON (a string where a number belongs, ...) make
  // nlohmann throw: damaged input, not a crash (found by the lock fuzzer).
  try {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("snapshot is not a JSON object");
  Snapshot s;
  auto str = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  auto t = ParseRfc3339(str("time"));
  if (!t) return Corrupt("snapshot has no valid time");
  s.time = *t;
  auto tree = Id::FromHex(str("tree"));
  if (!tree) return Corrupt("snapshot has no valid tree id");
  s.tree = *tree;
  if (auto p = Id::FromHex(str("parent"))) s.parent = *p;
  if (auto o = Id::FromHex(str("original"))) s.original = *o;
  auto list = [&](const char* key, std::vector<std::string>* out) -> Status {
    if (!j.contains(key) || j[key].is_null()) return Status::Ok();
    if (!j[key].is_array()) return Corrupt(std::string("snapshot: ") + key + " is not a list");
    for (const auto& v : j[key]) {
      if (!v.is_string()) return Corrupt(std::string("snapshot: ") + key + " holds a non-string");
      out->push_back(v.get<std::string>());
    }
    return Status::Ok();
  };
  LB_RETURN_IF_ERROR(list("paths", &s.paths));
  LB_RETURN_IF_ERROR(list("excludes", &s.excludes));
  LB_RETURN_IF_ERROR(list("tags", &s.tags));
  s.hostname = str("hostname");
  s.username = str("username");
  s.program_version = str("program_version");
  if (j.contains("uid") && j["uid"].is_number_unsigned()) s.uid = j["uid"].get<uint32_t>();
  if (j.contains("gid") && j["gid"].is_number_unsigned()) s.gid = j["gid"].get<uint32_t>();
  return s;
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("snapshot: malformed JSON value: ") + e.what());
  }
}

bool Snapshot::HasTag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

}  // namespace lifeboat
