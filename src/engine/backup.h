// Backup: files, directories and stdin streams into snapshots.
//
// Incremental by default: files whose size, mtime, ctime and inode match the
// parent snapshot are not read again. Data packs are written before the index
// that names them and the index before the snapshot, so an interrupted backup
// leaves a valid repository (at most with unreferenced packs, which the next
// backup adopts and reuses).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "engine/progress.h"
#include "repo/repository.h"
#include "repo/tree.h"
#include "source/source.h"

namespace lifeboat {

struct BackupOptions {
  std::vector<std::string> paths;
  std::vector<std::string> excludes;  // patterns, see engine/pathmatch.h
  std::vector<std::string> tags;
  std::string host;              // empty: this machine's hostname
  bool one_file_system = false;  // do not descend into other filesystems
  bool use_stdin = false;        // back up standard input as one file
  std::string stdin_filename = "stdin";
  int stdin_fd = 0;
  // Items instead of paths (database sources, source/source.h): stored one
  // after another, in order, then those `closing` returns (a Source's
  // Stop). snapshot_paths are recorded as the snapshot's paths.
  std::vector<Item> streams;
  std::function<Result<std::vector<Item>>()> closing;
  std::vector<std::string> snapshot_paths;
  // Files (absolute paths) that directory items leave out: stream items
  // store them another way.
  std::set<std::string> skip_paths;
  std::optional<Id> parent;  // explicit parent snapshot
  bool force = false;        // read every file, ignore any parent
  std::optional<Timestamp> time;
  size_t threads = 0;  // 0: one per core
  // The zstd level for new blobs (0: none); unset: the Source's choice.
  std::optional<int> compression;
};

struct BackupSummary {
  uint64_t files_new = 0, files_changed = 0, files_unmodified = 0;
  uint64_t dirs_new = 0, dirs_changed = 0, dirs_unmodified = 0;
  uint64_t data_blobs = 0, tree_blobs = 0;
  uint64_t data_added = 0;         // bytes added to the repository (packed)
  uint64_t data_added_plain = 0;   // plaintext bytes of the new blobs
  uint64_t total_files_processed = 0;
  uint64_t total_bytes_processed = 0;  // size of all files in the snapshot
  uint64_t bytes_read = 0;             // bytes actually read from disk
  uint64_t errors = 0;                 // items skipped with a warning
  double duration_seconds = 0;
  Id snapshot_id;
  std::optional<Id> parent;
};

// Runs a backup. Items that cannot be read are reported to `warnings` and
// counted in summary.errors; the snapshot is saved with the rest. Fails (and
// saves no snapshot) if nothing at all could be read.
Result<BackupSummary> RunBackup(Repository& repo, const BackupOptions& options,
                                ProgressCounters* progress, WarningSink* warnings);

// Backs up a Source (source/source.h): Prepare (its warnings go to
// `warnings`), Start, Items, Stop, then the snapshot; Abort on any failure.
// The source's tags, excludes, skipped files and parent join `options`.
Result<BackupSummary> RunBackup(Repository& repo, Source& source, BackupOptions options,
                                ProgressCounters* progress, WarningSink* warnings);

}  // namespace lifeboat
