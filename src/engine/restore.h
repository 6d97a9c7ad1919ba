// Restore: a snapshot (or parts of it) into a directory, with metadata.
//
// Every blob is authenticated and hash-checked as it is read. Files are
// written under a temporary name and renamed only when complete, so a file
// that could not be restored never appears as if it were. Files that cannot
// be restored (a missing or damaged pack) are reported and the rest goes on.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace lifeboat {

struct RestoreOptions {
  std::string target;
  std::vector<std::string> includes;  // patterns; empty: everything
  std::vector<std::string> excludes;
  bool verify = false;  // re-read restored files and check them against the snapshot
  // With verify: the bytes read back are also compared with the file's
  // fingerprint taken at backup (repo/fingerprint.h), in the same read.
  bool check_fingerprints = false;
  // When set, only the regular files (by snapshot path, "/etc/hosts") for
  // which it returns true are restored; directories and other entries all
  // are. A restore test's --sample.
  std::function<bool(const std::string&)> file_filter;
  bool sparse = true;   // leave holes where a blob is all zeros
  size_t threads = 0;
};

struct RestoreSummary {
  uint64_t files = 0, dirs = 0, others = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  uint64_t verified_files = 0;
  uint64_t fingerprint_matched = 0;  // check_fingerprints: files whose bytes match
  uint64_t fingerprint_missing = 0;  // files backed up without a fingerprint
  double duration_seconds = 0;
};

Result<RestoreSummary> RunRestore(Repository& repo, const Snapshot& snapshot,
                                  const RestoreOptions& options, ProgressCounters* progress,
                                  WarningSink* warnings);

}  // namespace lifeboat
