// One attempt at a job, in this process: the pre-hooks, the backup, the
// post-hooks, then forget by the job's retention class and a copy of the
// job's snapshots to each copy_to repository (a prune job prunes; a verify
// job restores the newest snapshot where nothing depends on it and compares
// it with what was backed up). The runner (jobs/runner.h)
// runs each attempt in a child process (`lifeboat run --attempt`), so that a
// timeout or a shutdown can stop it at any point: a killed attempt leaves
// the repository as an interrupted backup does, valid (packs, then the
// index, then the snapshot), and its lock is removed by the child's signal
// handler or, if it was killed outright, found stale by the next client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "engine/forget.h"
#include "engine/progress.h"
#include "jobs/spec.h"
#include "repo/repository.h"

namespace lifeboat {

// The repositories and the retention class a job names, looked up.
struct JobTargets {
  RepositorySpec repository;
  std::vector<RepositorySpec> copy_to;
  std::optional<NamedPolicy> retention;
};

struct CopyOutcome {
  std::string to;
  uint64_t copied = 0;  // snapshots copied this time
  // The time of the oldest snapshot of the job `to` does not hold (zero:
  // it holds them all); lifeboat_copy_lag_seconds is the time since.
  Timestamp behind_since;
  std::string error;  // one line; empty when the copy succeeded
  Code code = Code::kOk;
};

struct AttemptResult {
  // "success"; "incomplete" (a snapshot was saved, but some items could not
  // be read); "failure" (see error; snapshot_id set if the backup itself
  // succeeded and a later step failed).
  std::string result = "failure";
  std::string error;
  int code = 0;           // base/status.h Code of the error (the exit code follows it)
  bool retryable = true;  // false once a snapshot exists: a retry would back up again
  std::string snapshot_id;
  Timestamp snapshot_time;
  uint64_t bytes_added = 0;      // bytes the backup added to the repository (packed)
  uint64_t bytes_processed = 0;  // what the source held
  uint64_t snapshot_size = 0;    // the snapshot's blobs as stored, each once (stats raw-data)
  uint64_t unreadable = 0;       // items skipped with a warning
  uint64_t forgotten = 0;        // snapshots the retention class removed
  uint64_t repository_size = 0;  // bytes of blobs in the repository's packs, after forget
  uint64_t repository_snapshots = 0;
  std::vector<CopyOutcome> copies;
  // An archive job: the newest file the source archived that the
  // repository holds, and when it was archived (zero: none confirmed).
  std::string archived_last;
  Timestamp archived_last_time;
  // A verify job: the restore test's kind ("postgres", "redis", "files"),
  // what it compared (the driver's report, line by line), how long the
  // restore and the comparison took, and the files a file snapshot
  // restored (bytes_processed: the bytes read from the repository).
  std::string test_kind;
  std::string test_reason;  // when it did not pass: why, in one line
  std::vector<std::string> test_lines;
  double test_seconds = 0;
  uint64_t test_files = 0;

  std::string ToJson() const;
  static Result<AttemptResult> FromJson(std::string_view json);
};

// Opens the repository `spec` names with its password (read now); errors
// name the repository.
Result<std::unique_ptr<Repository>> OpenRepository(const RepositorySpec& spec);

// The paths a snapshot of `source` records, as backup writes them: a
// stream source's own; absolute and lexically clean for files. Sorted.
// A job's snapshots are those of its host with these paths.
std::vector<std::string> RecordedPaths(const Source& source);

// Runs the attempt; never fails as a call: what went wrong is in the result.
// Progress goes to `progress` (may be null), warnings about single items to
// `warnings`.
AttemptResult RunAttempt(const JobSpec& job, const JobTargets& targets, ProgressCounters* progress,
                         WarningSink* warnings);

}  // namespace lifeboat
