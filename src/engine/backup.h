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

namespace lifeboat {

// One file of a snapshot whose bytes come from a stream: a program's output
// (pg_dump), or a document made at backup time (a fingerprint).
//
// A directory item (dir set) saves a directory on disk with everything in
// it (minus the excludes) as `path`, incremental against the same path in
// the parent snapshot; `open`, if set, runs first and returns -1.
//
// A node item (node set) is stored as given: a file whose blobs the
// repository has already (taken from another snapshot), so that this
// snapshot keeps them.
struct StreamItem {
  std::string path;                    // inside the snapshot: "postgres/app.dump"
  std::function<Result<int>()> open;   // returns a descriptor to read until EOF
  std::function<Status()> finish;      // after EOF (waits for the program); may be empty
  uint32_t mode = 0600;
  std::string dir;                     // a directory item: the directory on disk
  std::optional<Node> node;            // a node item
  bool optional = false;               // open() failing with kNotFound skips the item
};

struct BackupOptions {
  std::vector<std::string> paths;
  std::vector<std::string> excludes;  // patterns, see engine/pathmatch.h
  std::vector<std::string> tags;
  std::string host;              // empty: this machine's hostname
  bool one_file_system = false;  // do not descend into other filesystems
  bool use_stdin = false;        // back up standard input as one file
  std::string stdin_filename = "stdin";
  int stdin_fd = 0;
  // Streams instead of paths (database sources): read one after another,
  // in order. snapshot_paths are recorded as the snapshot's paths.
  std::vector<StreamItem> streams;
  std::vector<std::string> snapshot_paths;
  // Files (absolute paths) that directory items leave out: stream items
  // store them another way.
  std::set<std::string> skip_paths;
  std::optional<Id> parent;  // explicit parent snapshot
  bool force = false;        // read every file, ignore any parent
  std::optional<Timestamp> time;
  size_t threads = 0;  // 0: one per core
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
// True if a file's size, mtime, ctime and inode match its node in an earlier
// snapshot: the rule by which a backup does not read it again.
bool SameFileMetadata(const Node& before, const Node& now);

Result<BackupSummary> RunBackup(Repository& repo, const BackupOptions& options,
                                ProgressCounters* progress, WarningSink* warnings);

}  // namespace lifeboat
