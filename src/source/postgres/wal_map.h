// The WAL archive as ranges of consecutive segments per timeline, and the
// gaps between them. A gap after a base backup's start is lost data: a
// recovery from that backup stops at the gap and promotes, losing everything
// after it, so check, pg restore and wal-list report gaps instead of staying
// silent. Segments are 16 MiB (PostgreSQL's default; 256 per log file).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "repo/repository.h"
#include "source/postgres/wal_archive.h"
#include "source/source.h"

namespace lifeboat::pg {

struct WalRange {
  std::string timeline;     // 8 hex digits
  std::string first, last;  // segment names
  uint64_t segments = 0, bytes = 0;
};

struct WalGap {
  std::string timeline;
  std::string first_missing, last_missing;
  uint64_t missing = 0;
  std::string Describe() const;  // "000000010000000000000005..000000010000000000000006 (2 segments)"
};

struct WalMap {
  std::vector<WalRange> ranges;  // by timeline, then position
  std::vector<WalGap> gaps;      // between the ranges of one timeline
  std::vector<WalFile> others;   // history and backup history files
};

WalMap MapWal(const std::vector<WalFile>& files);

// Gaps a recovery that starts at segment `start` would meet: on its
// timeline after `start`, and on every later timeline.
std::vector<WalGap> GapsAfter(const WalMap& map, const std::string& start);

// Position of a segment within its timeline: log * 256 + segment.
uint64_t SegmentPosition(const std::string& name);
// "16/B374D848" as a number; nullopt if malformed.
std::optional<uint64_t> ParseLsn(const std::string& lsn);
// The segment holding `lsn` ("16/B374D848") on `timeline`; "" if malformed.
std::string SegmentOfLsn(const std::string& timeline, const std::string& lsn);

struct WalCheck {
  std::vector<std::string> errors;  // gaps after a base backup's start, damaged files
  std::vector<std::string> hints;   // gaps no base backup needs
  uint64_t files = 0, bytes_read = 0;
};

// The first WAL segment the oldest base backup in the repository needs
// (what expire-wal keeps from). kNotFound with no base backup; an error if
// a base backup's manifest cannot be read (expiry must not guess).
Result<std::string> OldestNeededWal(SnapshotCatalog& catalog);

// Maps the archive against the base backups in the repository (the index
// must be loaded); with read_data also reads and authenticates every file.
Result<WalCheck> CheckWalArchive(Repository& repo, SnapshotCatalog& catalog, bool read_data);

}  // namespace lifeboat::pg
