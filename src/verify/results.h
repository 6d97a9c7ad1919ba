// The results of restore tests and checks, kept in the repository
// (results/<id>, one small encrypted JSON file per run, named by its hash
// like a snapshot), so any machine holding the repository and its password
// can show when each source was last proven restorable, and so
// `verify --sample` knows which part of a source the last run covered.
// restic ignores the directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace lifeboat {

struct RunResult {
  std::string kind;  // "verify" (a restore test) or "check"
  Timestamp time;    // when it finished
  std::string host;  // where it ran
  bool passed = false;
  std::string reason;  // when not passed, in one line
  double seconds = 0;
  // verify:
  std::string snapshot;  // the full id
  std::string source;    // SourceKey() of the snapshot
  std::string test;      // "files", "postgres", "redis", ...
  std::string job;       // the backup job, when run from a config
  uint64_t bytes = 0;    // restored
  uint64_t files = 0;
  uint32_t sample_group = 0, sample_groups = 0;  // --sample: part g of n; n 0: everything
  // check:
  std::string read_data;  // "" (structure only), "all", or restic's subset ("1/5", "10%")
};

// The key results of one source share: kind, host and sorted paths of the
// snapshot ("files host /etc,/home").
std::string SourceKey(const std::string& kind, const Snapshot& snapshot);

Result<Id> SaveResult(Repository& repo, const RunResult& result);

// The "kind" of a result file's JSON ("" if it has none): results/ also
// holds the DR records (dr/record.h, kind "dr"), which LoadResults leaves
// to their own reader.
std::string ResultKind(std::string_view json);

// Every result in the repository, oldest first. A file that cannot be read
// or parsed is left out, with a warning naming it.
Result<std::vector<RunResult>> LoadResults(Repository& repo, WarningSink* warnings);

// JSON for --json and the file's contents.
std::string RunResultJson(const RunResult& result);
Result<RunResult> ParseRunResult(std::string_view json);

}  // namespace lifeboat
