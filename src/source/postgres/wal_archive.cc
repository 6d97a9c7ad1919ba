#include "source/postgres/wal_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

#include "env/env.h"
#include "repo/log_archive.h"
#include "source/postgres/conn.h"

namespace lifeboat::pg {
namespace {

bool AllHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) && !std::islower(static_cast<unsigned char>(c)); });
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Writes through a temporary name renamed into place. No fsync: the server
// does not need restored files to survive a crash (recovery would fetch
// them again), and 16 MiB fsyncs were most of a fetch's time.
Status WriteFileAtomically(const std::string& dest, std::string_view data) {
  std::string tmp = dest + ".lifeboat-tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("create " + tmp, errno);
  Status w = WriteAll(fd, data, tmp);
  if (!w.ok()) {
    close(fd);
    unlink(tmp.c_str());
    return w;
  }
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus("write " + tmp, err);
  }
  if (rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus("rename into " + dest, err);
  }
  return Status::Ok();
}

LogArchive Archive(Repository& repo) { return LogArchive(repo, "WAL file"); }

}  // namespace

bool IsSegmentName(std::string_view name) {
  if (name.ends_with(".partial")) name.remove_suffix(8);
  return name.size() == 24 && AllHex(name);
}

bool IsWalFileName(std::string_view name) {
  if (IsSegmentName(name)) return true;
  if (name.size() == 16 && name.ends_with(".history")) return AllHex(name.substr(0, 8));
  if (name.size() == 40 && name.ends_with(".backup")) {
    return AllHex(name.substr(0, 24)) && name[24] == '.' && AllHex(name.substr(25, 8));
  }
  return false;
}

Result<WalPushResult> PushWal(Repository& repo, const std::string& path) {
  WalPushResult r;
  r.name = BaseName(path);
  if (!IsWalFileName(r.name)) {
    return InvalidArgument("wal-push: \"" + r.name + "\" is not the name of a WAL segment or history file");
  }
  LB_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(path));
  r.bytes = data.size();
  auto put = Archive(repo).Put(r.name, data);
  if (!put.ok()) {
    return put.status().code() == Code::kAlreadyExists ? put.status() : put.status().WithContext("wal-push");
  }
  r.already_archived = put->already_archived;
  r.stored = put->stored;
  return r;
}

Result<std::string> ReadWal(Repository& repo, const std::string& name) { return Archive(repo).Get(name); }

Status FetchWal(Repository& repo, const std::string& name, const std::string& dest) {
  if (!IsWalFileName(name)) return InvalidArgument("wal-fetch: \"" + name + "\" is not a WAL file name");
  auto data = Archive(repo).Get(name);
  if (!data.ok()) {
    return data.status().code() == Code::kNotFound ? data.status() : data.status().WithContext("wal-fetch");
  }
  return WriteFileAtomically(dest, *data);
}

std::string NextSegmentName(const std::string& segment) {
  if (!IsSegmentName(segment) || segment.size() != 24) return "";
  unsigned long log = std::strtoul(segment.substr(8, 8).c_str(), nullptr, 16);
  unsigned long seg = std::strtoul(segment.substr(16, 8).c_str(), nullptr, 16);
  if (++seg > 0xFF) {
    seg = 0;
    ++log;
  }
  char buf[25];
  std::snprintf(buf, sizeof buf, "%s%08lX%08lX", segment.substr(0, 8).c_str(), log, seg);
  return buf;
}

std::string PrevSegmentName(const std::string& segment) {
  if (!IsSegmentName(segment) || segment.size() != 24) return "";
  unsigned long log = std::strtoul(segment.substr(8, 8).c_str(), nullptr, 16);
  unsigned long seg = std::strtoul(segment.substr(16, 8).c_str(), nullptr, 16);
  if (seg == 0) {
    if (log == 0) return "";
    --log;
    seg = 0xFF;
  } else {
    --seg;
  }
  char buf[25];
  std::snprintf(buf, sizeof buf, "%s%08lX%08lX", segment.substr(0, 8).c_str(), log, seg);
  return buf;
}

bool TakeFromSpool(const std::string& spool, const std::string& name, const std::string& dest) {
  if (!IsWalFileName(name)) return false;
  auto data = ReadWholeFile(spool + "/" + name);
  if (!data.ok()) return false;
  return WriteFileAtomically(dest, *data).ok();
}

bool SpoolKnowsMissing(const std::string& spool, const std::string& name) {
  if (!name.ends_with(".history")) return false;
  std::string list_path = spool + "/history-list";
  struct stat st;
  if (stat(list_path.c_str(), &st) != 0 || std::time(nullptr) - st.st_mtime > kHistoryListSeconds) return false;
  auto list = ReadWholeFile(list_path);
  if (!list.ok()) return false;
  return list->find(name + "\n") == std::string::npos;
}

void RecordHistoryList(Repository& repo, const std::string& spool) {
  auto files = ListWal(repo);
  if (!files.ok()) return;
  std::string list;
  for (const auto& f : *files) {
    if (f.name.ends_with(".history")) list += f.name + "\n";
  }
  std::error_code ec;
  std::filesystem::create_directories(spool, ec);
  if (!ec) WriteFileAtomically(spool + "/history-list", list).IgnoreError();
}

void TrimSpool(const std::string& spool, const std::string& keep) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(spool, ec)) {
    std::string n = e.path().filename().string();
    if (n != keep && n != "history-list") std::filesystem::remove(e.path(), ec);
  }
}

void PrefetchAfter(Repository& repo, const std::string& spool, const std::string& segment, int count,
                   bool include_first) {
  std::error_code ec;
  std::filesystem::create_directories(spool, ec);
  if (ec) return;
  // Segments before this one will not be asked for again.
  for (const auto& e : std::filesystem::directory_iterator(spool, ec)) {
    std::string n = e.path().filename().string();
    if (IsSegmentName(n) && n.substr(0, 8) == segment.substr(0, 8) && n < segment) std::filesystem::remove(e.path(), ec);
  }
  std::vector<std::string> names;
  std::string next = segment;
  if (include_first && !std::filesystem::exists(spool + "/" + segment, ec)) names.push_back(segment);
  for (int i = 0; i < count; ++i) {
    next = NextSegmentName(next);
    if (next.empty()) break;
    if (!std::filesystem::exists(spool + "/" + next, ec)) names.push_back(next);
  }
  std::atomic<size_t> idx{0};
  std::atomic<bool> stop{false};
  auto work = [&] {
    for (size_t i = idx++; i < names.size() && !stop; i = idx++) {
      if (!FetchWal(repo, names[i], spool + "/" + names[i]).ok()) stop = true;  // the end of the archive
    }
  };
  std::thread helper(work);
  work();
  helper.join();
}

namespace {

// "1733320000.123456" (extract(epoch FROM ...)) as a Timestamp.
Timestamp EpochText(const std::string& text) {
  Timestamp t;
  size_t dot = text.find('.');
  t.sec = std::strtoll(text.substr(0, dot).c_str(), nullptr, 10);
  if (dot != std::string::npos) {
    std::string frac = (text.substr(dot + 1) + "000000000").substr(0, 9);
    t.nsec = std::strtol(frac.c_str(), nullptr, 10);
  }
  return t;
}

}  // namespace

Result<ArchiveStatus> CheckArchiving(const PgTarget& target, Repository& repo) {
  LB_ASSIGN_OR_RETURN(auto conn, PgConn::Connect(target, target.dbname.empty() ? "postgres" : target.dbname));
  LB_ASSIGN_OR_RETURN(
      Rows a,
      conn->Query(
          "SELECT current_setting('archive_mode'), coalesce(last_archived_wal, ''), "
          "coalesce(extract(epoch FROM last_archived_time)::text, ''), coalesce(last_failed_wal, ''), "
          "coalesce(extract(epoch FROM last_failed_time)::text, ''), failed_count, "
          "coalesce(to_char(last_failed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'), '') "
          "FROM pg_stat_archiver"));
  if (a.size() != 1) return Corrupt("pg_stat_archiver of " + conn->where() + " returned no row");
  const std::string server = target.Display("");
  if (a.at(0, 0) == "off") {
    return InvalidArgument("WAL archiving is off on " + server +
                           " (archive_mode = off): nothing reaches the archive (docs/postgres.md)");
  }
  const std::string failed = a.at(0, 3).empty()
                                 ? ""
                                 : "the archiver last failed on " + a.at(0, 3) + " at " + a.at(0, 6) + " (" +
                                       a.at(0, 5) + " failures since the server started)";
  ArchiveStatus st;
  st.last_file = a.at(0, 1);
  if (st.last_file.empty()) {
    return NotFound(server + " has archived no WAL file yet" + (failed.empty() ? "" : "; " + failed));
  }
  st.last_time = EpochText(a.at(0, 2));
  Result<uint64_t> held = repo.storage().Size(FileType::kLog, st.last_file);
  if (!held.ok() && held.status().code() == Code::kNotFound) {
    return NotFound("the last WAL file " + server + " archived, " + st.last_file + " (at " +
                    FormatRfc3339(st.last_time) +
                    "), is not in the repository: archive_command writes elsewhere");
  }
  if (!held.ok()) return held.status();
  if (!failed.empty() && EpochText(a.at(0, 4)) > st.last_time) {
    st.failing = "WAL archiving of " + server + " is failing: " + failed + ", after " + st.last_file +
                 "; check archive_command and the server log";
  }
  return st;
}

Result<std::vector<WalFile>> ListWal(Repository& repo) {
  std::vector<WalFile> out;
  LB_RETURN_IF_ERROR(Archive(repo).List([&](const ObjectInfo& o) {
    if (IsWalFileName(o.name)) out.push_back({o.name, o.size});
  }));
  std::sort(out.begin(), out.end(), [](const WalFile& a, const WalFile& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<WalFile>> ExpireWal(Repository& repo, const std::string& oldest_needed, bool dry_run) {
  if (!IsSegmentName(oldest_needed)) return InvalidArgument("not a segment name: " + oldest_needed);
  std::string keep_tli = oldest_needed.substr(0, 8), keep_pos = oldest_needed.substr(8, 16);
  LB_ASSIGN_OR_RETURN(std::vector<WalFile> all, ListWal(repo));
  std::vector<WalFile> gone;
  for (const WalFile& f : all) {
    if (f.name.ends_with(".history")) continue;
    std::string tli = f.name.substr(0, 8), pos = f.name.substr(8, 16);
    // A backup history file names the segment it belongs to.
    if (tli <= keep_tli && pos < keep_pos) gone.push_back(f);
  }
  if (dry_run) return gone;
  for (const WalFile& f : gone) {
    LB_RETURN_IF_ERROR(Archive(repo).Remove(f.name).WithContext("expire WAL"));
  }
  return gone;
}

}  // namespace lifeboat::pg
