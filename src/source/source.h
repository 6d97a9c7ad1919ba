// The seam between lifeboat's engine and the data systems it backs up.
//
// A driver (source/fs, source/postgres, source/redis, ...) implements a
// Source for backups and a RestoreTarget for restores; the engine drives
// both. Drivers read snapshots through a SnapshotReader, which the engine
// implements, so that no driver includes engine/ (tools/check_layers holds
// that line). The registry (source/registry.h) finds a driver by URL scheme
// or by the snapshot it made.
//
// A backup runs:  Prepare → Start → Items (each stored in order) → Stop
// (its items, the manifest among them, stored last) → the snapshot is
// saved. Abort is called instead of Stop when anything fails.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"
#include "repo/snapshot.h"
#include "repo/tree.h"

namespace lifeboat {

// A file whose bytes come from a stream: a program's output (pg_dump), the
// replication stream (an RDB), a document made at backup time.
struct StreamItem {
  std::string path;                   // inside the snapshot: "postgres/app.dump"
  std::function<Result<int>()> open;  // a descriptor to read until EOF
  std::function<Status()> finish;     // after EOF (waits for the program); may be empty
  uint32_t mode = 0600;
  bool optional = false;  // open() failing with kNotFound skips the item
};

// A directory on this machine stored at `path` with everything in it (minus
// the backup's excludes), incremental against the same path in the parent
// snapshot. `before` runs first (a physical backup starts its consistent
// point there).
struct DirectoryItem {
  std::string path;
  std::string dir;
  std::function<Status()> before;
};

// A file stored as given: its blobs are in the repository already (taken
// from another snapshot), and this snapshot keeps them.
struct StoredFileItem {
  std::string path;
  Node node;
};

// Files and directories of this machine under their absolute paths, as
// restic lays them out (the file-system source). Incremental by metadata
// against the parent snapshot.
struct HostFilesItem {
  std::vector<std::string> paths;
};

using Item = std::variant<StreamItem, DirectoryItem, StoredFileItem, HostFilesItem>;

// The path of an item inside the snapshot ("" for HostFilesItem).
const std::string& ItemPath(const Item& item);

// Read access to one snapshot, every blob authenticated and hash-checked.
class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  virtual const Snapshot& snapshot() const = 0;
  // For drivers that read blobs themselves (a page-delta base).
  virtual Repository& repository() = 0;
  // The node at `path` ("/a/b"); kNotFound if there is none.
  virtual Result<Node> Find(const std::string& path) = 0;
  // A small file of the snapshot, whole (a manifest, a fingerprint).
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Writes a file's contents to fd, blob by blob. A closed pipe is kIoError.
  virtual Status CopyFile(const Node& file, int fd, const std::string& what) = 0;
  // Calls fn(path, node) for every node below directory `path`, depth-first
  // in name order, paths relative to it ("/x/y"); fn returning false for a
  // directory skips its contents.
  virtual Status Walk(const std::string& path,
                      const std::function<bool(const std::string&, const Node&)>& fn) = 0;
  struct TreeRestore {
    uint64_t files = 0, dirs = 0, others = 0, bytes = 0, errors = 0;
  };
  // Restores the directory at `path` into `dir` with metadata, as
  // `restore --target` does; with `only`, just those paths below it.
  virtual Result<TreeRestore> RestoreTree(const std::string& path, const std::string& dir,
                                          const std::vector<std::string>& only = {}) = 0;
};

// The repository's snapshots, for a Source planning against earlier ones
// (a differential base backup finds its full here).
class SnapshotCatalog {
 public:
  virtual ~SnapshotCatalog() = default;
  virtual Result<std::vector<Snapshot>> List() = 0;  // oldest first
  virtual Result<std::unique_ptr<SnapshotReader>> Open(const Snapshot& snapshot) = 0;
  // The repository's local cache (repo/local_cache.h), or null: what a
  // source would otherwise read back from earlier snapshots.
  virtual LocalCache* cache() { return nullptr; }
};

// What a driver says about a finished operation: lines for a person, and
// fields merged into the command's JSON summary.
struct Report {
  std::vector<std::string> lines;
  std::string json = "{}";  // one JSON object
};

// One data system being backed up.
class Source {
 public:
  virtual ~Source() = default;
  // Where the data comes from, without secrets: the snapshot's path.
  virtual std::string Display() const = 0;
  // Tags every snapshot of this source carries ("redis", "postgres", ...).
  virtual std::vector<std::string> Tags() const { return {}; }
  // The snapshot's paths (how its parent is found): Display() unless the
  // source says otherwise.
  virtual std::vector<std::string> SnapshotPaths() const { return {Display()}; }
  // After Prepare: patterns DirectoryItems leave out; files they leave out
  // because Items store them another way; the snapshot to be incremental
  // against (nullopt: the newest of the same paths, as for files); what
  // was found that the user should know.
  virtual std::vector<std::string> Excludes() const { return {}; }
  virtual std::set<std::string> SkipPaths() const { return {}; }
  virtual std::optional<Id> Parent() const { return std::nullopt; }
  // Warnings() is read after Prepare and again after the snapshot is saved
  // (the ones added since).
  virtual std::vector<std::string> Warnings() const { return {}; }
  // The zstd level new blobs are stored at unless the user chose one
  // (`backup --compression`); 0 stores them uncompressed.
  virtual int CompressionLevel() const;
  // Connects, checks preconditions and plans (full or differential)
  // against earlier snapshots. Nothing is changed on the source yet.
  virtual Status Prepare(SnapshotCatalog& catalog) = 0;
  // Begins the consistent point, where that is a separate step.
  virtual Status Start() { return Status::Ok(); }
  // What to store, in order; valid while the Source lives.
  virtual std::vector<Item> Items() = 0;
  // Ends the consistent point; returns what is stored last (the manifest).
  virtual Result<std::vector<Item>> Stop() { return std::vector<Item>{}; }
  // After a failure anywhere: end whatever was begun, leave the source as
  // it was. Must be safe to call at any point, and more than once.
  virtual void Abort() {}
  // After the snapshot is saved.
  virtual Report Summary() const { return {}; }
};

// Where a snapshot goes back to: a live server, a data directory.
class RestoreTarget {
 public:
  virtual ~RestoreTarget() = default;
  // How to reach the restored data, without secrets.
  virtual std::string Handle() const = 0;
  // Refuses an unsafe target (one holding data, unless told to replace it)
  // before anything is written.
  virtual Status Prepare(const Snapshot& snapshot) = 0;
  virtual Result<Report> Restore(SnapshotReader& reader) = 0;
};

}  // namespace lifeboat
