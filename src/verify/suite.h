// The restore-test suite of a repository without a config: the newest
// snapshot of every source in it — one per (kind, host, paths), as backup
// records them — restored where nothing depends on it and compared
// (verify/trial_restore.h), each result a SnapshotCheck of the Validation
// Report (verify/report.h). With a config, scheduler/validation.h runs
// every backup job's test instead.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/progress.h"
#include "repo/repository.h"
#include "source/registry.h"
#include "verify/report.h"

namespace lifeboat {

// The newest snapshot of each source among `all`, oldest source first (by
// kind, host, then paths).
std::vector<Snapshot> NewestPerSource(const std::vector<Snapshot>& all);

// "postgres", "redis", ... for a driver's snapshot; "files" otherwise.
std::string SnapshotKind(const Snapshot& snapshot);

// Runs the restore test of `snapshot` (the index of `repo` loaded) and
// describes it: PASS, or FAIL with the reason in one line (a test that
// could not run is a FAIL naming why). `repository` names the repository
// in the report.
SnapshotCheck CheckSnapshot(Repository& repo, const std::string& repository, const Snapshot& snapshot,
                            const OptionView& options, ProgressCounters* progress, WarningSink* warnings);

// Every source's newest snapshot in `repo`, tested in turn. A group with
// no snapshot is SKIP; "Backup Jobs" is SKIP (no run history without a
// config).
Result<ValidationReport> ValidateRepository(Repository& repo, const std::string& repository,
                                            const OptionView& options, Timestamp now,
                                            ProgressCounters* progress, WarningSink* warnings);

}  // namespace lifeboat
