// Physical PostgreSQL backups: the data directory copied file by file
// between pg_backup_start() and pg_backup_stop() (PostgreSQL's non-exclusive
// low-level API, as pgBackRest does it), incremental against the previous
// base backup (unchanged files are not read again; changed ones are chunked
// and deduplicated), with the WAL that makes it consistent archived by
// wal-push before the backup counts as done. The snapshot's tree:
//
//   /pgdata/...                       the data directory, minus what PostgreSQL
//                                     rebuilds (pg_wal/*, postmaster.pid, ...)
//   /postgres/backup_label            from pg_backup_stop()
//   /postgres/tablespace_map          from pg_backup_stop() (empty: none)
//   /postgres/basebackup.json         PhysicalManifest
//
// A differential base backup (type "diff") builds on a full one: relation
// files changed since the full are not in /pgdata but stored as page deltas
// (page_delta.h), beside the full's version of the file, which costs no
// data, only the reference that keeps its blobs alive while this snapshot
// lives, whatever happens to the full:
//
//   /pgdata-delta/base/16384/16397    the page delta
//   /pgdata-base/base/16384/16397     the file as the full backup stored it
//
// restic restores such a snapshot as those files; lifeboat pg restore puts
// the relation files back together.
// Restoring (RestorePhysical) writes the data directory back, puts the
// label in place and configures recovery from the WAL archive to a time,
// an LSN or the end of the archive.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "source/source.h"
#include "repo/repository.h"
#include "repo/snapshot.h"
#include "source/postgres/conn.h"
#include "source/postgres/page_delta.h"
#include "source/postgres/target.h"

namespace lifeboat::pg {

constexpr const char* kPhysicalManifestPath = "/postgres/basebackup.json";
constexpr const char* kBaseBackupTag = "postgres-basebackup";

struct PhysicalManifest {
  std::string kind = "postgres-physical";
  std::string source;
  int server_version = 0;
  std::string system_identifier;
  std::string data_directory;
  std::string start_lsn, stop_lsn;
  std::string start_wal, stop_wal;  // segment names
  int timeline = 0;
  std::string label;
  std::string stop_time;  // RFC 3339: the backup is consistent from here on
  std::string timezone;   // the server's TimeZone: recovery targets without a zone are in it
  std::string type = "full";   // or "diff"
  std::string base_snapshot;   // diff: the full base backup it builds on
  uint64_t delta_files = 0;    // diff: relation files stored as page deltas

  std::string ToJson() const;
  static Result<PhysicalManifest> FromJson(std::string_view json);
};

struct PhysicalOptions {
  // full, diff (page deltas against the newest full of this cluster), or
  // auto: diff unless there is no full or it is full_after_days old.
  std::string type = "auto";
  long full_after_days = 7;
  // How long the end of the backup waits for its last WAL segment to be
  // archived before failing (pgBackRest's archive-timeout; 60 s).
  double archive_timeout_seconds = 60;
  bool force = false;  // a full, every file read
};

// The physical PostgreSQL Source: the data directory between
// pg_backup_start and pg_backup_stop, planned full or differential.
class PhysicalBackup final : public Source {
 public:
  PhysicalBackup(PgTarget target, PhysicalOptions options);
  ~PhysicalBackup() override;
  std::string Display() const override { return target_.Display(""); }
  std::vector<std::string> SnapshotPaths() const override { return {manifest_.data_directory}; }
  std::vector<std::string> Tags() const override { return {kBaseBackupTag}; }
  // What PostgreSQL rebuilds at start and a backup must not copy.
  std::vector<std::string> Excludes() const override;
  // Files the data directory item leaves out (stored as page deltas).
  std::set<std::string> SkipPaths() const override;
  std::optional<Id> Parent() const override { return parent_; }
  // Warnings found while preparing (e.g. archive_command not set to lifeboat).
  std::vector<std::string> Warnings() const override { return warnings_; }

  // Connects (a superuser or a role with pg_backup_start rights), finds the
  // data directory (which must be readable here), checks that WAL is
  // archived, and chooses full or differential.
  Status Prepare(SnapshotCatalog& catalog) override;
  std::vector<Item> Items() override;
  Result<std::vector<Item>> Stop() override;
  void Abort() override;
  Report Summary() const override;

  // Pages of the page deltas: equal to the full's, changed in a few ranges,
  // stored whole; and the bytes of the deltas (before compression).
  DeltaStats delta_stats() const;
  const PhysicalManifest& manifest() const { return manifest_; }

 private:
  Status Connect();
  // Makes this a differential base backup against `full`, a full base
  // backup of the same cluster: finds the relation files changed since.
  Status PlanDiff(SnapshotReader& full);
  Status StartBackup();
  Status StopBackup();
  Status WaitForArchive(const std::string& segment);

  struct DeltaFile {
    std::string rel, abs;  // in the data directory; on disk
    Node base;             // the file in the full base backup
  };
  struct DeltaJob;

  PgTarget target_;
  PhysicalOptions options_;
  std::optional<Id> parent_;
  Repository* repo_ = nullptr;  // set by PlanDiff
  std::vector<DeltaFile> deltas_;
  std::vector<std::shared_ptr<DeltaJob>> jobs_;
  std::unique_ptr<PgConn> conn_;  // holds the backup open
  PhysicalManifest manifest_;
  std::string label_file_, spc_map_file_;
  std::vector<std::string> warnings_;
  bool started_ = false;
};

bool IsBaseBackupSnapshot(const Snapshot& snapshot);
Result<PhysicalManifest> LoadPhysicalManifest(SnapshotReader& reader);
// The newest full base backup of the cluster with this system identifier.
Result<std::optional<Snapshot>> NewestFullBaseBackup(SnapshotCatalog& catalog, const std::string& system_identifier);

struct PhysicalRestoreOptions {
  std::string data_dir;
  std::string to_time;  // recovery_target_time, as PostgreSQL reads it
  std::string to_lsn;   // recovery_target_lsn
  bool immediate = false;        // stop as soon as the backup is consistent
  std::string restore_command;   // written into postgresql.auto.conf
};

struct PhysicalRestoreSummary {
  uint64_t files = 0, bytes = 0;
  uint64_t delta_files = 0;  // relation files put together from page deltas
  double seconds = 0;
  std::string target;  // "latest", "time ...", "lsn ..."
};

Result<PhysicalRestoreSummary> RestorePhysical(SnapshotReader& reader,
                                               const PhysicalRestoreOptions& options);

}  // namespace lifeboat::pg
