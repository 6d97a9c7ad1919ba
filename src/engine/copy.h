// Copying snapshots between repositories (restic's "copy"): only the blobs the
// destination lacks move, each snapshot is saved last (after its blobs and
// their index are stored), and a snapshot the destination already has — same
// id or same "original" — is skipped, so running it again copies nothing and
// an interrupted copy resumes where it stopped.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"
#include "repo/snapshot.h"

namespace lifeboat {

struct CopyStats {
  uint64_t snapshots_copied = 0;
  uint64_t snapshots_present = 0;  // already in the destination
  uint64_t trees_read = 0;
  std::atomic<uint64_t> blobs_copied{0};
  std::atomic<uint64_t> bytes_copied{0};  // plaintext bytes of copied blobs
};

// Copies `snapshots` of `src` into `dst`. REQUIRES: both indexes loaded.
// `on_snapshot` is told each snapshot's outcome ("copied"/"present") and new id.
Status CopySnapshots(Repository& src, Repository& dst, const std::vector<Snapshot>& snapshots, CopyStats* stats,
                     const std::function<void(const Snapshot&, const std::string&, const Id&)>& on_snapshot);

struct LogCopyStats {
  uint64_t files_copied = 0;
  uint64_t files_present = 0;  // in the destination already
  uint64_t bytes_copied = 0;   // uncompressed
  std::string last_copied;     // the greatest name copied ("" if none)
};

// Copies the log archive (repo/log_archive.h: PostgreSQL's WAL) of `src`
// into `dst`: every file `dst` lacks, by name, in name order (a WAL
// segment before the next, so a copy cut short leaves no gap before what
// it copied). Each file is authenticated with the source's key and sealed
// with the destination's, so the two repositories may have different
// passwords. Running it again copies nothing; a file archived under the
// same name with other contents in `dst` is kAlreadyExists.
Result<LogCopyStats> CopyLogArchive(Repository& src, Repository& dst);

}  // namespace lifeboat
