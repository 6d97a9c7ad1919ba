// The newest commit in the WAL archive: what `dr assess` reports as a
// PostgreSQL's newest restorable point (a recovery replays the archive to
// its end, so the data recovered is as new as the last commit archived).
//
// Written here because no library reads WAL and pg_waldump would need the
// segment decrypted to a file and its text output parsed. Only what finding
// commit records needs is read (PostgreSQL's access/xlogrecord.h,
// xlog_internal.h and xact.h, unchanged in these parts since 9.5):
//   - pages of xlp_xlog_blcksz bytes (from the segment's first, long,
//     header), each with a header that is skipped; a page whose address is
//     not the expected one ends the valid WAL (a recycled segment's tail);
//   - records, 8-byte aligned, that may cross pages, chained by xl_prev; a
//     zero length, a broken chain, or an XLOG_SWITCH record ends the scan;
//   - a transaction commit (rmgr 1, info 0x00 or 0x30 under the mask 0x70)
//     whose main data — the last bytes of the record, found by walking its
//     block headers — starts with xact_time, microseconds since 2000-01-01
//     UTC.
// CRCs are not checked: the archive's own MAC authenticates the segment, and
// the chain check finds where the written WAL ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/status.h"
#include "base/timefmt.h"
#include "repo/repository.h"
#include "source/postgres/physical.h"

namespace lifeboat::pg {

struct SegmentCommits {
  uint64_t records = 0, commits = 0;
  std::optional<Timestamp> last_commit;  // the newest commit's xact_time
};

// kCorrupt if `segment` is not a WAL segment (no long page header, a size
// that is not the one the header states).
Result<SegmentCommits> ScanSegment(std::string_view segment);

struct ArchivedCommit {
  std::optional<Timestamp> time;  // none found in the segments read
  std::string segment;            // where it was found
  std::string last_segment;       // the newest segment a recovery from the backup reaches
};

// The newest commit a recovery from base backup `backup` can replay from
// the archive in `repo`: the segments from its start to the first gap (on
// its timeline and the later ones), read newest first, at most
// `max_segments` of them, until one holds a commit.
Result<ArchivedCommit> LastArchivedCommit(Repository& repo, const PhysicalManifest& backup,
                                          int max_segments = 16);

}  // namespace lifeboat::pg
