// Snapshots (snapshots/<id>): the root tree of one backup plus when, where
// and what it was taken of.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "repo/id.h"

namespace lifeboat {

struct Snapshot {
  Timestamp time;
  std::optional<Id> parent;
  Id tree;
  std::vector<std::string> paths;
  std::string hostname;
  std::string username;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::optional<Id> original;
  std::string program_version;

  Id id;  // the storage id; not part of the JSON

  std::string ToJson() const;
  static Result<Snapshot> FromJson(std::string_view json);
  bool HasTag(std::string_view tag) const;
};

}  // namespace lifeboat
