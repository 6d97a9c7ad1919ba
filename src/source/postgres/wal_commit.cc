#include "source/postgres/wal_commit.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "source/postgres/wal_archive.h"
#include "source/postgres/wal_map.h"

namespace lifeboat::pg {
namespace {

constexpr uint16_t kLongHeader = 0x0002;         // XLP_LONG_HEADER
constexpr uint16_t kFirstIsContRecord = 0x0001;  // XLP_FIRST_IS_CONTRECORD
constexpr size_t kShortHeaderSize = 24;          // MAXALIGN(sizeof(XLogPageHeaderData))
constexpr size_t kLongHeaderSize = 40;           // MAXALIGN(sizeof(XLogLongPageHeaderData))
constexpr size_t kRecordHeaderSize = 24;         // SizeOfXLogRecord
constexpr uint8_t kRmXlog = 0, kRmXact = 1;
constexpr uint8_t kXlogSwitch = 0x40;
constexpr uint8_t kXactOpMask = 0x70, kXactCommit = 0x00, kXactCommitPrepared = 0x30;
// Block reference ids (XLR_BLOCK_ID_*) and flags.
constexpr uint8_t kBlockIdDataShort = 255, kBlockIdDataLong = 254, kBlockIdOrigin = 253,
                  kBlockIdToplevelXid = 252, kMaxBlockId = 32;
constexpr uint8_t kBlockHasImage = 0x10, kBlockSameRel = 0x80;
constexpr uint8_t kImageHasHole = 0x01, kImageCompressedMask = 0x02 | 0x04 | 0x08 | 0x10;
// PostgreSQL's epoch, 2000-01-01 UTC, in Unix seconds.
constexpr int64_t kPgEpoch = 946684800;

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // WAL is in the server's byte order: little-endian here
  return v;
}

size_t Align8(size_t n) { return (n + 7) & ~size_t(7); }

// The record bytes of a segment, page headers skipped.
class SegmentReader {
 public:
  SegmentReader(std::string_view seg, size_t page, uint64_t base, uint16_t magic)
      : seg_(seg), page_(page), base_(base), magic_(magic) {}

  // Moves `pos` past a page header if it sits on a page boundary. False if
  // the page is not one this segment wrote in sequence.
  bool SkipHeader(size_t* pos, bool continuing) const {
    if (*pos % page_ != 0) return true;
    if (*pos + kShortHeaderSize > seg_.size()) return false;
    const char* h = seg_.data() + *pos;
    if (Load<uint16_t>(h) != magic_ || Load<uint64_t>(h + 8) != base_ + *pos) return false;
    uint16_t info = Load<uint16_t>(h + 2);
    if (continuing != ((info & kFirstIsContRecord) != 0)) return false;
    *pos += *pos == 0 ? kLongHeaderSize : kShortHeaderSize;
    return true;
  }

  // Copies `n` record bytes starting at `*pos` (which must not be on a
  // page boundary) into `out`, crossing pages; leaves `*pos` after them.
  bool Copy(size_t* pos, size_t n, std::string* out) const {
    while (n > 0) {
      if (*pos % page_ == 0 && !SkipHeader(pos, true)) return false;
      size_t room = page_ - *pos % page_;
      size_t take = std::min(room, n);
      if (*pos + take > seg_.size()) return false;
      if (out) out->append(seg_.data() + *pos, take);
      *pos += take;
      n -= take;
    }
    return true;
  }

 private:
  std::string_view seg_;
  size_t page_;
  uint64_t base_;
  uint16_t magic_;
};

// The main data of a record (header included in `rec`), or nullopt if its
// block headers do not parse.
std::optional<std::string_view> MainData(std::string_view rec) {
  size_t at = kRecordHeaderSize;
  uint64_t payload = 0;  // block data and images, between the headers and the main data
  auto need = [&](size_t n) { return at + n <= rec.size(); };
  while (need(1)) {
    uint8_t id = uint8_t(rec[at++]);
    if (id == kBlockIdDataShort || id == kBlockIdDataLong) {
      uint32_t len = 0;
      if (id == kBlockIdDataShort) {
        if (!need(1)) return std::nullopt;
        len = uint8_t(rec[at++]);
      } else {
        if (!need(4)) return std::nullopt;
        len = Load<uint32_t>(rec.data() + at);
        at += 4;
      }
      if (at + payload + len != rec.size()) return std::nullopt;
      return rec.substr(rec.size() - len);
    }
    if (id == kBlockIdOrigin) {
      at += 2;
    } else if (id == kBlockIdToplevelXid) {
      at += 4;
    } else if (id <= kMaxBlockId) {
      if (!need(3)) return std::nullopt;
      uint8_t fork_flags = uint8_t(rec[at]);
      payload += Load<uint16_t>(rec.data() + at + 1);
      at += 3;
      if (fork_flags & kBlockHasImage) {
        if (!need(5)) return std::nullopt;
        payload += Load<uint16_t>(rec.data() + at);
        uint8_t bimg_info = uint8_t(rec[at + 4]);
        at += 5;
        if ((bimg_info & kImageHasHole) && (bimg_info & kImageCompressedMask)) at += 2;
      }
      if (!(fork_flags & kBlockSameRel)) at += 12;  // RelFileNode
      at += 4;                                      // BlockNumber
    } else {
      return std::nullopt;
    }
  }
  return std::string_view();  // no main data
}

}  // namespace

Result<SegmentCommits> ScanSegment(std::string_view seg) {
  if (seg.size() < kLongHeaderSize)
    return Corrupt("not a WAL segment: " + std::to_string(seg.size()) + " bytes");
  const char* h = seg.data();
  uint16_t magic = Load<uint16_t>(h), info = Load<uint16_t>(h + 2);
  uint64_t base = Load<uint64_t>(h + 8);
  uint32_t rem_len = Load<uint32_t>(h + 16);
  uint32_t seg_size = Load<uint32_t>(h + 32), page = Load<uint32_t>(h + 36);
  if (!(info & kLongHeader) || page < 1024 || (page & (page - 1)) != 0 || seg_size != seg.size() ||
      seg_size % page != 0) {
    return Corrupt("not a WAL segment: no long page header of its size (" + std::to_string(seg.size()) +
                   " bytes)");
  }
  SegmentReader reader(seg, page, base, magic);
  SegmentCommits out;
  size_t pos = 0;
  if (!reader.SkipHeader(&pos, (info & kFirstIsContRecord) != 0))
    return Corrupt("WAL segment: bad first page");
  if (info & kFirstIsContRecord) {  // the tail of a record begun in the segment before
    if (!reader.Copy(&pos, rem_len, nullptr)) return out;
  }
  uint64_t prev = 0;
  std::string rec;
  while (true) {
    pos = Align8(pos);
    if (pos >= seg.size()) break;
    if (!reader.SkipHeader(&pos, false)) break;
    uint64_t lsn = base + pos;
    rec.clear();
    if (!reader.Copy(&pos, 4, &rec)) break;
    uint32_t tot_len = Load<uint32_t>(rec.data());
    if (tot_len < kRecordHeaderSize) break;            // zeros: the end of what was written
    if (!reader.Copy(&pos, tot_len - 4, &rec)) break;  // continues into the next segment
    uint64_t xl_prev = Load<uint64_t>(rec.data() + 8);
    if (prev != 0 && xl_prev != prev) break;  // a recycled segment's old records
    prev = lsn;
    ++out.records;
    uint8_t xl_info = uint8_t(rec[16]), rmid = uint8_t(rec[17]);
    if (rmid == kRmXlog && (xl_info & 0xF0) == kXlogSwitch) break;
    if (rmid != kRmXact) continue;
    uint8_t op = xl_info & kXactOpMask;
    if (op != kXactCommit && op != kXactCommitPrepared) continue;
    auto main = MainData(rec);
    if (!main || main->size() < 8) continue;
    int64_t us = Load<int64_t>(main->data());
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
      frac += 1000000;
      sec -= 1;
    }
    Timestamp t{sec + kPgEpoch, int32_t(frac * 1000)};
    ++out.commits;
    if (!out.last_commit || *out.last_commit < t) out.last_commit = t;
  }
  return out;
}

Result<ArchivedCommit> LastArchivedCommit(Repository& repo, const PhysicalManifest& backup,
                                          int max_segments) {
  LB_ASSIGN_OR_RETURN(std::vector<WalFile> files, ListWal(repo));
  const std::string& start = backup.start_wal;
  if (!IsSegmentName(start)) return InvalidArgument("base backup without a start segment: " + start);
  std::string tli = start.substr(0, 8);
  uint64_t first = SegmentPosition(start);
  // Where a recovery from this backup stops: the first gap after its start.
  std::vector<WalGap> gaps = GapsAfter(MapWal(files), start);
  auto reachable = [&](const std::string& name) {
    std::string t = name.substr(0, 8);
    if (t < tli || (t == tli && SegmentPosition(name) < first)) return false;
    if (gaps.empty()) return true;
    const WalGap& g = gaps.front();
    return t < g.timeline || (t == g.timeline && SegmentPosition(name) < SegmentPosition(g.first_missing));
  };
  std::vector<std::string> names;
  for (const WalFile& f : files) {
    if (IsSegmentName(f.name) && reachable(f.name)) names.push_back(f.name);
  }
  // Newest first; a .partial after the full segment of its name.
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    std::string_view x(a.data(), 24), y(b.data(), 24);
    return x != y ? x > y : a.size() < b.size();
  });
  ArchivedCommit out;
  if (!names.empty()) out.last_segment = names.front();
  for (size_t i = 0; i < names.size() && int(i) < max_segments; ++i) {
    LB_ASSIGN_OR_RETURN(std::string data, ReadWal(repo, names[i]));
    auto scan = ScanSegment(data);
    if (!scan.ok()) return scan.status().WithContext("WAL file " + names[i]);
    if (scan->last_commit) {
      out.time = scan->last_commit;
      out.segment = names[i];
      break;
    }
  }
  return out;
}

}  // namespace lifeboat::pg
