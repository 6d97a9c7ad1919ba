#include "source/postgres/wal_map.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "base/thread_pool.h"
#include "source/postgres/physical.h"

namespace lifeboat::pg {
namespace {

uint64_t Position(const std::string& name) { return SegmentPosition(name); }

std::string NameAt(const std::string& timeline, uint64_t pos) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%08" PRIX64 "%08" PRIX64, timeline.c_str(), pos / 256, pos % 256);
  return buf;
}

}  // namespace

uint64_t SegmentPosition(const std::string& name) {
  return std::strtoull(name.substr(8, 8).c_str(), nullptr, 16) * 256 +
         std::strtoull(name.substr(16, 8).c_str(), nullptr, 16);
}

std::string WalGap::Describe() const {
  return first_missing + (missing > 1 ? ".." + last_missing : "") + " (" + std::to_string(missing) +
         (missing == 1 ? " segment)" : " segments)");
}

WalMap MapWal(const std::vector<WalFile>& files) {
  WalMap map;
  // Files come sorted by name: by timeline, then position.
  for (const WalFile& f : files) {
    if (!IsSegmentName(f.name)) {
      map.others.push_back(f);
      continue;
    }
    std::string name = f.name.substr(0, 24), tli = name.substr(0, 8);
    uint64_t pos = Position(name);
    if (!map.ranges.empty() && map.ranges.back().timeline == tli) {
      WalRange& r = map.ranges.back();
      uint64_t last = Position(r.last);
      if (pos == last) {  // a .partial beside its segment
        r.bytes += f.size;
        continue;
      }
      if (pos == last + 1) {
        r.last = name;
        ++r.segments;
        r.bytes += f.size;
        continue;
      }
      map.gaps.push_back({tli, NameAt(tli, last + 1), NameAt(tli, pos - 1), pos - last - 1});
    }
    map.ranges.push_back({tli, name, name, 1, f.size});
  }
  return map;
}

std::vector<WalGap> GapsAfter(const WalMap& map, const std::string& start) {
  std::vector<WalGap> out;
  if (!IsSegmentName(start)) return out;
  std::string tli = start.substr(0, 8);
  uint64_t pos = Position(start);
  for (const WalGap& g : map.gaps) {
    if (g.timeline > tli || (g.timeline == tli && Position(g.last_missing) >= pos)) out.push_back(g);
  }
  return out;
}

std::optional<uint64_t> ParseLsn(const std::string& lsn) {
  size_t slash = lsn.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= lsn.size()) return std::nullopt;
  const std::string hs = lsn.substr(0, slash), ls = lsn.substr(slash + 1);
  char* end = nullptr;
  uint64_t hi = std::strtoull(hs.c_str(), &end, 16);
  if (*end != '\0') return std::nullopt;
  uint64_t lo = std::strtoull(ls.c_str(), &end, 16);
  if (*end != '\0' || hi > 0xffffffffull || lo > 0xffffffffull) return std::nullopt;
  return (hi << 32) | lo;
}

std::string SegmentOfLsn(const std::string& timeline, const std::string& lsn) {
  auto v = ParseLsn(lsn);
  return v ? NameAt(timeline, *v >> 24) : "";
}

Result<std::string> OldestNeededWal(SnapshotCatalog& catalog) {
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, catalog.List());
  std::string oldest;
  for (const Snapshot& s : all) {
    if (!IsBaseBackupSnapshot(s)) continue;
    LB_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader, catalog.Open(s));
    auto m = LoadPhysicalManifest(*reader);
    if (!m.ok()) return m.status().WithContext("expire-wal: refusing to guess what a base backup needs");
    if (oldest.empty() || m->start_wal.substr(8) < oldest.substr(8)) oldest = m->start_wal;
  }
  if (oldest.empty()) return NotFound("no base backup in the repository: expire-wal keeps every WAL file");
  return oldest;
}

Result<WalCheck> CheckWalArchive(Repository& repo, SnapshotCatalog& catalog, bool read_data) {
  WalCheck out;
  LB_ASSIGN_OR_RETURN(std::vector<WalFile> files, ListWal(repo));
  out.files = files.size();
  if (files.empty()) return out;
  WalMap map = MapWal(files);
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> snaps, catalog.List());
  std::vector<std::pair<std::string, std::string>> starts;  // start segment, snapshot
  for (const Snapshot& s : snaps) {
    if (!IsBaseBackupSnapshot(s)) continue;
    LB_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader, catalog.Open(s));
    auto m = LoadPhysicalManifest(*reader);
    if (m.ok()) starts.emplace_back(m->start_wal, s.id.Short());
  }
  for (const WalGap& g : map.gaps) {
    std::string hurt;
    for (const auto& [start, snap] : starts) {
      for (const WalGap& after : GapsAfter(map, start)) {
        if (after.first_missing == g.first_missing) hurt += (hurt.empty() ? "" : ", ") + snap;
      }
    }
    if (hurt.empty()) {
      out.hints.push_back("WAL archive: timeline " + g.timeline + " misses " + g.Describe() +
                          ", before every base backup (expired)");
    } else {
      out.errors.push_back("WAL archive: timeline " + g.timeline + " misses " + g.Describe() +
                           ": recovery from base backup " + hurt + " stops before it");
    }
  }
  if (read_data) {
    std::mutex mu;
    Status ran = ParallelFor(files.size(), ThreadPool::DefaultThreads(), [&](size_t i) -> Status {
      const WalFile& f = files[i];
      auto data = ReadWal(repo, f.name);
      std::lock_guard<std::mutex> lock(mu);
      if (!data.ok()) {
        out.errors.push_back(data.status().message());
        return Status::Ok();
      }
      out.bytes_read += f.size;
      if (IsSegmentName(f.name) && !f.name.ends_with(".partial") && data->size() != (16u << 20)) {
        out.errors.push_back("WAL file " + f.name + " in the archive holds " + std::to_string(data->size()) +
                             " bytes, not a 16 MiB segment");
      }
      return Status::Ok();
    });
    LB_RETURN_IF_ERROR(ran);
    std::sort(out.errors.begin(), out.errors.end());
  }
  return out;
}

}  // namespace lifeboat::pg
