// The repository config file: format version, repository id, and the chunker
// polynomial. Encrypted, never compressed (restic reads it before it knows
// the version).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace lifeboat {

struct RepoConfig {
  int version = 2;
  std::string id;           // 64 hex characters
  uint64_t polynomial = 0;  // irreducible, degree 53

  static RepoConfig New();
  std::string ToJson() const;
  static Result<RepoConfig> FromJson(std::string_view json);
};

}  // namespace lifeboat
