// The restore test (a trial restore) of one snapshot, whatever made it: a database snapshot
// is loaded into a scratch server by its driver (the fingerprint recorded
// at backup compared); a file snapshot is restored into a scratch
// directory and every file read back against the snapshot. `lifeboat
// verify`, the verify jobs and the Validation Report run this one function.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "engine/progress.h"
#include "repo/repository.h"
#include "source/registry.h"

namespace lifeboat {

struct RestoreTestResult {
  std::string kind;  // the driver's name ("postgres", "redis") or "files"
  bool passed = false;
  std::string reason;  // when not passed: why, in one line
  uint64_t bytes = 0;  // restored
  uint64_t files = 0;  // file snapshots: files restored
  double seconds = 0;  // how long the restore and the comparison took
  uint32_t sample_group = 0, sample_groups = 0;  // --sample: part g of n restored
  Report report;       // the driver's lines (PASS/FAIL per item)
};

// Tests `snapshot` of `repo` (its index loaded). An error is a test that
// could not be run (no scratch server, the repository unreadable); data
// that does not match is a result with passed false and the reason.
// options: the driver's (verify's flags), scratch_dir for files, sample
// ("25%": a file snapshot restores one part of its files, the part after
// the one the source's last sampled test covered), no-record.
//
// The result is recorded in the repository (verify/results.h, naming
// `job` when a config's job ran it) unless options has no-record; a
// repository that refuses the write gets a warning, not a failed test.
Result<RestoreTestResult> RunRestoreTest(Repository& repo, const Snapshot& snapshot,
                                         const OptionView& options, ProgressCounters* progress,
                                         WarningSink* warnings, const std::string& job = "");

// The first "FAIL ..." line of a driver's report, without the word; "" if
// none.
std::string FirstFailure(const Report& report);

}  // namespace lifeboat
