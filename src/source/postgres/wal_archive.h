// The WAL archive: PostgreSQL's WAL segments, timeline history files and
// backup history files, kept in wal/ of the repository under the names
// PostgreSQL gives them, each compressed with zstd and encrypted with the
// repository's master key like restic's unpacked files (IV || AES-256-CTR ||
// Poly1305-AES of 0x02 || zstd frame).
//
// wal-push is what archive_command runs: it returns only once the file is
// durably stored (the storage's Save: fsync + rename locally, a completed
// PUT on S3), and it is idempotent — pushing a file the archive holds with
// the same contents succeeds, with other contents fails.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"
#include "source/postgres/target.h"
#include "source/registry.h"

namespace lifeboat::pg {

// A segment (000000010000000000000003), a partial segment (.partial), a
// timeline history file (00000002.history) or a backup history file
// (000000010000000000000002.00000028.backup).
bool IsWalFileName(std::string_view name);
// True for the 24-hex-digit name of a segment (or a .partial one).
bool IsSegmentName(std::string_view name);

struct WalPushResult {
  std::string name;
  bool already_archived = false;
  uint64_t bytes = 0, stored = 0;
};

// Stores the file at `path` (its base name names it in the archive).
Result<WalPushResult> PushWal(Repository& repo, const std::string& path);

// Reads, authenticates and decompresses archived file `name`.
Result<std::string> ReadWal(Repository& repo, const std::string& name);

// Writes archived file `name` to `dest` (through a temporary file renamed
// into place). kNotFound if the archive does not hold it.
Status FetchWal(Repository& repo, const std::string& name, const std::string& dest);

// Prefetching for restore_command. PostgreSQL runs restore_command once per
// file, and each run would open the repository (key derivation) again; so a
// fetch of segment N also fetches N+1..N+count into `spool` (a directory
// beside the destination), and the next runs take their file from there
// without opening the repository. Spooled files are exact archive contents
// (an archived name never changes its contents), so a stale one is still
// right.
//
// History files are asked for at the start and end of every recovery, and
// mostly do not exist: each run that opens the repository also records the
// archive's history files in the spool, and for `kHistoryListSeconds` a
// history file missing from that list is answered "not found" without
// opening the repository (a new timeline is seen that much later).
constexpr int kHistoryListSeconds = 30;
std::string NextSegmentName(const std::string& segment);  // 16 MiB segments
// Copies spool/name to dest if it is there (the spooled copy stays: the
// server asks for the last segment again when recovery ends).
bool TakeFromSpool(const std::string& spool, const std::string& name, const std::string& dest);
// True if a fresh history list in the spool shows that `name` (a history
// file) is not archived.
bool SpoolKnowsMissing(const std::string& spool, const std::string& name);
// Records the archive's history files in the spool.
void RecordHistoryList(Repository& repo, const std::string& spool);
// Fetches the `count` segments after `segment` into the spool (best effort:
// stops at the first one the archive lacks) and drops spooled segments
// before it.
// With include_first, `segment` itself too.
void PrefetchAfter(Repository& repo, const std::string& spool, const std::string& segment, int count,
                   bool include_first = false);
// Removes every spooled segment but `keep` (at the end of the archive the
// server asks for the last segment once more).
void TrimSpool(const std::string& spool, const std::string& keep);
// The segment before `segment` ("" for the first of a timeline's log 0).
std::string PrevSegmentName(const std::string& segment);

struct WalFile {
  std::string name;
  uint64_t size = 0;  // stored (compressed, encrypted) bytes
};
Result<std::vector<WalFile>> ListWal(Repository& repo);

// Segments older than `oldest_needed` (a segment name: the start of the
// oldest base backup kept) that no kept backup needs: their timeline is not
// newer and their position is before it. History files are kept. Returns
// what was (or, dry_run, would be) removed.
Result<std::vector<WalFile>> ExpireWal(Repository& repo, const std::string& oldest_needed, bool dry_run);

// archive_check: what the server at `target` last archived
// (pg_stat_archiver) and whether `repo` holds it. Errors: archive_mode off,
// nothing archived yet, the file not in `repo` (archive_command writes
// elsewhere); a failure since the last success is ArchiveStatus::failing.
Result<ArchiveStatus> CheckArchiving(const PgTarget& target, Repository& repo);

}  // namespace lifeboat::pg
