#include "source/postgres/physical.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/bytes.h"
#include "base/thread_pool.h"
#include "env/env.h"
#include "env/process.h"
#include "source/fs_node.h"

namespace lifeboat::pg {
namespace {

Status WriteSmallFile(const std::string& path, std::string_view data, bool append, uid_t uid, gid_t gid) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0600);
  if (fd < 0) return ErrnoStatus("create " + path, errno);
  Status w = WriteAll(fd, data, path);
  if (!w.ok()) {
    close(fd);
    return w;
  }
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoStatus("fsync " + path, err);
  if (geteuid() == 0 && chown(path.c_str(), uid, gid) != 0) return ErrnoStatus("chown " + path, errno);
  return Status::Ok();
}

// Relation files smaller than this are backed up whole: their delta would
// save little and cost a stream of its own.
constexpr uint64_t kMinDeltaBytes = 128 * 1024;

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The tree at `path` below `root`; empty if there is none.
Result<Tree> LoadTreeAt(SnapshotReader& reader, const std::string& path) {
  auto node = reader.Find(path);
  if (!node.ok()) return node.status().code() == Code::kNotFound ? Result<Tree>(Tree{}) : node.status();
  if (node->type != "dir" || !node->subtree) return Tree{};
  LB_ASSIGN_OR_RETURN(std::string json, reader.repository().LoadBlob(BlobType::kTree, *node->subtree));
  return DecodeTree(json);
}


}  // namespace

std::string PhysicalManifest::ToJson() const {
  nlohmann::json j{{"kind", kind},
                   {"source", source},
                   {"server_version", server_version},
                   {"system_identifier", system_identifier},
                   {"data_directory", data_directory},
                   {"start_lsn", start_lsn},
                   {"stop_lsn", stop_lsn},
                   {"start_wal", start_wal},
                   {"stop_wal", stop_wal},
                   {"timeline", timeline},
                   {"label", label},
                   {"stop_time", stop_time},
                   {"timezone", timezone},
                   {"type", type}};
  if (type == "diff") {
    j["base_snapshot"] = base_snapshot;
    j["delta_files"] = delta_files;
  }
  return j.dump(1) + "\n";
}

Result<PhysicalManifest> PhysicalManifest::FromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  if (j.is_discarded() || !j.is_object() || str("kind") != "postgres-physical" || str("start_wal").empty()) {
    return Corrupt("postgres base backup manifest: damaged");
  }
  PhysicalManifest m;
  m.source = str("source");
  m.server_version = j.contains("server_version") && j["server_version"].is_number_integer() ? j["server_version"].get<int>() : 0;
  m.system_identifier = str("system_identifier");
  m.data_directory = str("data_directory");
  m.start_lsn = str("start_lsn");
  m.stop_lsn = str("stop_lsn");
  m.start_wal = str("start_wal");
  m.stop_wal = str("stop_wal");
  m.timeline = j.contains("timeline") && j["timeline"].is_number_integer() ? j["timeline"].get<int>() : 0;
  m.label = str("label");
  m.stop_time = str("stop_time");
  m.timezone = str("timezone");
  if (j.contains("type")) m.type = str("type");
  if (m.type != "full" && m.type != "diff") return Corrupt("postgres base backup manifest: unknown type \"" + m.type + "\"");
  m.base_snapshot = str("base_snapshot");
  if (j.contains("delta_files") && j["delta_files"].is_number_unsigned()) m.delta_files = j["delta_files"].get<uint64_t>();
  return m;
}

struct PhysicalBackup::DeltaJob {
  std::thread thread;
  Status status;
  DeltaStats stats;
};

PhysicalBackup::PhysicalBackup(PgTarget target, PhysicalOptions options)
    : target_(std::move(target)), options_(std::move(options)) {
  manifest_.source = target_.Display("");
}

Status PhysicalBackup::Connect() {
  const PgTarget& target = target_;
  LB_ASSIGN_OR_RETURN(conn_, PgConn::Connect(target, target.dbname.empty() ? "postgres" : target.dbname));
  PgConn& c = *conn_;
  LB_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT current_setting('data_directory'), current_setting('archive_mode'), "
                                      "current_setting('archive_command'), current_setting('wal_level'), "
                                      "(SELECT system_identifier::text FROM pg_control_system()), "
                                      "(SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')), "
                                      "pg_is_in_recovery()::text, "
                                      "(SELECT reset_val FROM pg_settings WHERE name = 'TimeZone')"));
  PhysicalManifest& m = manifest_;
  m.source = target.Display("");
  m.server_version = c.server_version();
  m.data_directory = r.at(0, 0);
  m.system_identifier = r.at(0, 4);
  m.timezone = r.at(0, 7);
  std::string where = target.Display("");
  if (r.at(0, 6) == "true") return InvalidArgument("base backup of a standby (" + where + ") is not supported: back up the primary");
  if (r.at(0, 3) == "minimal") return InvalidArgument(where + " has wal_level = minimal: a base backup needs replica or logical");
  if (r.at(0, 1) == "off") {
    return InvalidArgument(where + " has archive_mode = off: a base backup is restorable only with its WAL archived "
                                   "(archive_command = 'lifeboat pg wal-push %p', see docs/postgres.md)");
  }
  if (r.at(0, 2).find("wal-push") == std::string::npos) {
    warnings_.push_back("archive_command of " + where + " does not run lifeboat pg wal-push; restores need the WAL in this repository");
  }
  if (r.at(0, 5) != "0") {
    return InvalidArgument(where + " has tablespaces outside the data directory; lifeboat's base backups do not cover them yet");
  }
  if (access(m.data_directory.c_str(), R_OK | X_OK) != 0) {
    return Status(Code::kAccessDenied, "the data directory " + m.data_directory + " of " + where +
                                           " is not readable here: run the base backup on the database host, as root or the server's user");
  }
  // No statement may hang the backup for ever (pg_backup_stop's wait for
  // the archive is ours, bounded by --archive-timeout).
  LB_RETURN_IF_ERROR(c.Exec("SET statement_timeout = '15min'"));
  return Status::Ok();
}

Status PhysicalBackup::Prepare(SnapshotCatalog& catalog) {
  LB_RETURN_IF_ERROR(Connect());
  if (options_.type == "full" || options_.force) return Status::Ok();
  // Differential (page deltas against the newest full of this cluster)
  // unless there is none, or (auto) it is too old.
  LB_ASSIGN_OR_RETURN(std::optional<Snapshot> full, NewestFullBaseBackup(catalog, manifest_.system_identifier));
  if (!full) {
    if (options_.type == "diff") warnings_.push_back("no full base backup of this cluster in the repository: taking a full one");
    return Status::Ok();
  }
  double age_days = static_cast<double>(Now().sec - full->time.sec) / 86400.0;
  if (options_.type == "auto" && age_days >= static_cast<double>(options_.full_after_days)) return Status::Ok();
  LB_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader, catalog.Open(*full));
  LB_RETURN_IF_ERROR(PlanDiff(*reader));
  parent_ = full->id;
  return Status::Ok();
}

void PhysicalBackup::Abort() {
  for (auto& job : jobs_) {
    if (job->thread.joinable()) job->thread.join();
  }
  // Closing the session ends a non-exclusive backup begun on it.
  conn_.reset();
  started_ = false;
}

// A backup never stopped ends with the connection.
PhysicalBackup::~PhysicalBackup() {
  for (auto& job : jobs_) {
    if (job->thread.joinable()) job->thread.join();
  }
}

Status PhysicalBackup::PlanDiff(SnapshotReader& reader) {
  const Snapshot& full = reader.snapshot();
  Repository& repo = reader.repository();
  repo_ = &repo;
  manifest_.type = "diff";
  manifest_.base_snapshot = full.id.Hex();
  const std::string& data = manifest_.data_directory;
  std::vector<std::string> dirs = {"global"};
  LB_ASSIGN_OR_RETURN(std::vector<std::string> dbs, ReadDirNames(data + "/base"));
  for (const auto& db : dbs) {
    if (AllDigits(db)) dirs.push_back("base/" + db);
  }
  for (const std::string& dir : dirs) {
    LB_ASSIGN_OR_RETURN(Tree was, LoadTreeAt(reader, "/pgdata/" + dir));
    if (was.nodes.empty()) continue;
    auto names = ReadDirNames(data + "/" + dir);
    if (!names.ok()) continue;  // a database dropped meanwhile
    for (const std::string& name : *names) {
      std::string rel = dir + "/" + name;
      if (!IsRelationFile(rel)) continue;
      const Node* base = FindNode(was, name);
      if (base == nullptr || base->type != "file" || base->size < kMinDeltaBytes) continue;
      std::string abs = data + "/" + rel;
      struct stat st;
      if (lstat(abs.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      auto now = NodeFromStat(abs, name, st);
      if (!now.ok()) continue;
      // Unchanged since the full: the data directory item reuses it.
      if (SameFileMetadata(*base, *now)) continue;
      bool stored = std::all_of(base->content.begin(), base->content.end(),
                                [&](const Id& id) { return repo.index().Has(BlobType::kData, id); });
      if (stored) deltas_.push_back({rel, abs, *base});
    }
  }
  return Status::Ok();
}

std::set<std::string> PhysicalBackup::SkipPaths() const {
  std::set<std::string> out;
  for (const auto& d : deltas_) out.insert(d.abs);
  return out;
}

DeltaStats PhysicalBackup::delta_stats() const {
  DeltaStats sum;
  for (const auto& job : jobs_) {
    sum.pages += job->stats.pages;
    sum.same += job->stats.same;
    sum.patched += job->stats.patched;
    sum.literal += job->stats.literal;
    sum.delta_bytes += job->stats.delta_bytes;
  }
  return sum;
}

Status PhysicalBackup::StartBackup() {
  manifest_.label = "lifeboat " + FormatRfc3339(Now());
  LB_ASSIGN_OR_RETURN(Rows r, conn_->Query("SELECT lsn::text, pg_walfile_name(lsn) FROM pg_backup_start(" +
                                           QuoteLiteral(manifest_.label) + ", true) AS lsn"));
  manifest_.start_lsn = r.at(0, 0);
  manifest_.start_wal = r.at(0, 1);
  manifest_.timeline = static_cast<int>(std::strtol(manifest_.start_wal.substr(0, 8).c_str(), nullptr, 16));
  started_ = true;
  return Status::Ok();
}

Status PhysicalBackup::StopBackup() {
  // pg_backup_stop(false) and our own wait, not the server's: its wait has
  // no end when archive_command fails, and says nothing about why.
  auto r = conn_->Query("SELECT lsn::text, pg_walfile_name(lsn), labelfile, coalesce(spcmapfile, '') FROM pg_backup_stop(false)");
  if (!r.ok()) return r.status().WithContext("pg_backup_stop");
  manifest_.stop_lsn = r->at(0, 0);
  manifest_.stop_wal = r->at(0, 1);
  label_file_ = r->at(0, 2);
  spc_map_file_ = r->at(0, 3);
  started_ = false;
  LB_RETURN_IF_ERROR(WaitForArchive(manifest_.stop_wal));
  manifest_.stop_time = FormatRfc3339(Now());
  return Status::Ok();
}

// The archiver archives in name order and never skips a file, so once it has
// archived the stop segment the backup history file (named by the start
// segment) is archived too.
Status PhysicalBackup::WaitForArchive(const std::string& segment) {
  const std::string sql =
      "SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, ''), "
      "coalesce(to_char(last_failed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'), ''), failed_count "
      "FROM pg_stat_archiver";
  auto start = std::chrono::steady_clock::now();
  int delay_ms = 20;
  while (true) {
    LB_ASSIGN_OR_RETURN(Rows a, conn_->Query(sql));
    std::string archived = a.at(0, 0).substr(0, 24);
    if (archived.size() == 24 && archived.substr(0, 8) == segment.substr(0, 8) && archived >= segment) {
      return Status::Ok();
    }
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (waited >= options_.archive_timeout_seconds) {
      std::string why = a.at(0, 1).empty()
                            ? "the archiver reports no failure (is it running, and is archive_command set?)"
                            : "the archiver last failed on " + a.at(0, 1) + " at " + a.at(0, 2) + " (" + a.at(0, 3) +
                                  " failures): check archive_command and the server log";
      return Status(Code::kIoError, "WAL segment " + segment + " of the base backup was not archived within " +
                                        HumanDuration(options_.archive_timeout_seconds) + " (--archive-timeout); " + why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    delay_ms = std::min(delay_ms * 2, 1000);
  }
}

std::vector<std::string> PhysicalBackup::Excludes() const {
  const std::string& d = manifest_.data_directory;
  std::vector<std::string> out;
  for (const char* sub : {"pg_wal/*", "pg_replslot/*", "pg_dynshmem/*", "pg_notify/*", "pg_serial/*",
                          "pg_snapshots/*", "pg_stat_tmp/*", "pg_subtrans/*", "base/pgsql_tmp/*", "postmaster.pid",
                          "postmaster.opts", "backup_label", "backup_label.old", "tablespace_map",
                          "tablespace_map.old", "recovery.signal", "standby.signal", "postgresql.auto.conf.tmp",
                          "current_logfiles.tmp"}) {
    out.push_back(d + "/" + sub);
  }
  out.push_back(d + "/**/pg_internal.init");
  return out;
}

std::vector<Item> PhysicalBackup::Items() {
  std::vector<Item> items;
  items.push_back(DirectoryItem{"pgdata", manifest_.data_directory, [this] { return StartBackup(); }});
  // The page deltas: each computed by a thread of its own into a pipe that
  // the backup reads like any stream, against the full's file read from
  // the repository.
  for (const DeltaFile& f : deltas_) {
    auto job = std::make_shared<DeltaJob>();
    jobs_.push_back(job);
    StreamItem delta;
    delta.path = "pgdata-delta/" + f.rel;
    delta.optional = true;
    delta.open = [this, &f, job]() -> Result<int> {
      int in = open(f.abs.c_str(), O_RDONLY | O_CLOEXEC | O_NOATIME);
      if (in < 0 && errno == EPERM) in = open(f.abs.c_str(), O_RDONLY | O_CLOEXEC);
      if (in < 0 && errno == ENOENT) return NotFound(f.abs + " was removed during the backup");
      if (in < 0) return ErrnoStatus("open " + f.abs, errno);
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) {
        int err = errno;
        close(in);
        return ErrnoStatus("pipe for the page delta of " + f.abs, err);
      }
      fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
      job->thread = std::thread([this, &f, job, in, out = p[1]] {
        NodeReader base(*repo_, f.base);
        job->status = WriteDelta([&base](char* b, size_t n) { return base.Read(b, n); }, f.base.size, in, f.abs,
                                 out, &job->stats);
        close(in);
        close(out);
      });
      return p[0];
    };
    delta.finish = [this, job]() -> Status {
      job->thread.join();
      if (job->status.ok()) manifest_.delta_files++;
      return job->status;
    };
    items.push_back(std::move(delta));
    items.push_back(StoredFileItem{"pgdata-base/" + f.rel, f.base});
  }
  return items;
}

Result<std::vector<Item>> PhysicalBackup::Stop() {
  LB_RETURN_IF_ERROR(StopBackup());
  std::vector<Item> items;
  items.push_back(StreamItem{"postgres/backup_label", [this] { return FdFromString(label_file_); }, nullptr});
  items.push_back(StreamItem{"postgres/tablespace_map", [this] { return FdFromString(spc_map_file_); }, nullptr});
  items.push_back(StreamItem{kPhysicalManifestPath, [this] { return FdFromString(manifest_.ToJson()); }, nullptr});
  return items;
}

Report PhysicalBackup::Summary() const {
  const PhysicalManifest& m = manifest_;
  const DeltaStats ds = delta_stats();
  Report r;
  r.lines.push_back("base backup of " + m.source + " (" + m.data_directory + "), WAL " + m.start_wal + " .. " +
                    m.stop_wal + " (LSN " + m.start_lsn + " .. " + m.stop_lsn + ")");
  nlohmann::json j{{"source", m.source},       {"data_directory", m.data_directory}, {"start_lsn", m.start_lsn},
                   {"stop_lsn", m.stop_lsn},   {"start_wal", m.start_wal},           {"stop_wal", m.stop_wal},
                   {"timeline", m.timeline},   {"type", m.type}};
  if (m.type == "diff") {
    r.lines.push_back("differential, against full base backup " + m.base_snapshot.substr(0, 8) + ": " +
                      std::to_string(m.delta_files) + " relation files as page deltas");
    r.lines.push_back("Pages:       " + std::to_string(ds.same) + " equal, " + std::to_string(ds.patched) +
                      " changed in places, " + std::to_string(ds.literal) + " stored whole (" +
                      HumanBytes(ds.delta_bytes) + " of deltas, " + HumanBytes(ds.pages * kPageSize) +
                      " compared page by page with the full)");
    j["base_snapshot"] = m.base_snapshot;
    j["delta_files"] = m.delta_files;
    j["delta_pages"] = ds.pages;
    j["delta_pages_equal"] = ds.same;
    j["delta_pages_patched"] = ds.patched;
    j["delta_pages_whole"] = ds.literal;
    j["delta_bytes"] = ds.delta_bytes;
  } else {
    r.lines.push_back("full");
  }
  r.json = j.dump();
  return r;
}

bool IsBaseBackupSnapshot(const Snapshot& snapshot) { return snapshot.HasTag(kBaseBackupTag); }

Result<PhysicalManifest> LoadPhysicalManifest(SnapshotReader& reader) {
  const Snapshot& snapshot = reader.snapshot();
  auto text = reader.ReadFile(kPhysicalManifestPath);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) {
      return InvalidArgument("snapshot " + snapshot.id.Short() + " is not a PostgreSQL base backup");
    }
    return text.status().WithContext("snapshot " + snapshot.id.Short());
  }
  return PhysicalManifest::FromJson(*text);
}

Result<std::optional<Snapshot>> NewestFullBaseBackup(SnapshotCatalog& catalog, const std::string& system_identifier) {
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, catalog.List());
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!IsBaseBackupSnapshot(*it)) continue;
    LB_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader, catalog.Open(*it));
    auto m = LoadPhysicalManifest(*reader);
    if (m.ok() && m->type == "full" && m->system_identifier == system_identifier) return std::optional<Snapshot>(*it);
  }
  return std::optional<Snapshot>();
}

namespace {

// Puts the relation files of a differential base backup together: each
// page delta applied to the full's file stored beside it, written into the
// restored data directory.
struct AppliedDeltas {
  uint64_t files = 0, bytes = 0;
};

Result<AppliedDeltas> ApplyDeltas(SnapshotReader& reader, const std::string& dir, uid_t uid, gid_t gid) {
  const Snapshot& snapshot = reader.snapshot();
  Repository& repo = reader.repository();
  auto deltas = reader.Find("/pgdata-delta");
  if (!deltas.ok() && deltas.status().code() == Code::kNotFound) return AppliedDeltas{};  // nothing had changed
  if (!deltas.ok()) return deltas.status();
  LB_ASSIGN_OR_RETURN(Node bases, reader.Find("/pgdata-base"));
  if (!deltas->subtree || !bases.subtree) return Corrupt("snapshot " + snapshot.id.Short() + ": page deltas without their base");
  std::map<std::string, Node> base_of;
  LB_RETURN_IF_ERROR(reader.Walk("/pgdata-base", [&](const std::string& path, const Node& n) {
    if (n.type == "file") base_of[path] = n;
    return true;
  }));
  std::vector<std::pair<std::string, Node>> files;
  LB_RETURN_IF_ERROR(reader.Walk("/pgdata-delta", [&](const std::string& path, const Node& n) {
    if (n.type == "file") files.emplace_back(path, n);
    return true;
  }));
  struct Job {
    const std::string& path;
    const Node& delta;
    const Node& base;
  };
  std::vector<Job> jobs;
  for (const auto& [path, delta] : files) {
    auto base = base_of.find(path);
    if (base == base_of.end()) return Corrupt("snapshot " + snapshot.id.Short() + ": no base for the page delta of " + path);
    jobs.push_back({path, delta, base->second});
  }
  std::atomic<uint64_t> bytes{0};
  ThreadPool pool(ThreadPool::DefaultThreads());
  std::vector<std::future<Status>> done;
  for (const Job& job : jobs) {
    done.push_back(pool.Submit([&repo, &dir, uid, gid, &bytes, &job]() -> Status {
      const std::string& path = job.path;
      const Node& delta = job.delta;
      const Node& base = job.base;
      std::string target = dir + path;
      // The restore beside this one may not have made the directory yet;
      // it sets the directory's owner and mode when it comes to it.
      std::error_code ec;
      std::filesystem::create_directories(target.substr(0, target.rfind('/')), ec);
      int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) return ErrnoStatus("create " + target, errno);
      NodeReader b(repo, base), d(repo, delta);
      Status s = ApplyDelta([&b](char* p, size_t n) { return b.Read(p, n); }, base.size,
                            [&d](char* p, size_t n) { return d.Read(p, n); }, fd, path.substr(1));
      if (s.ok() && geteuid() == 0 && fchown(fd, uid, gid) != 0) s = ErrnoStatus("chown " + target, errno);
      struct stat st;
      if (s.ok() && fstat(fd, &st) == 0) bytes += static_cast<uint64_t>(st.st_size);
      if (close(fd) != 0 && s.ok()) s = ErrnoStatus("close " + target, errno);
      return s;
    }));
  }
  Status failure;
  for (auto& f : done) {
    Status s = f.get();
    if (!s.ok() && failure.ok()) failure = s;
  }
  if (!failure.ok()) return failure;
  return AppliedDeltas{files.size(), bytes.load()};
}

}  // namespace

Result<PhysicalRestoreSummary> RestorePhysical(SnapshotReader& reader, const PhysicalRestoreOptions& o) {
  const Snapshot& snapshot = reader.snapshot();
  auto start = std::chrono::steady_clock::now();
  LB_ASSIGN_OR_RETURN(PhysicalManifest m, LoadPhysicalManifest(reader));
  const std::string& dir = o.data_dir;
  if (dir.empty()) return InvalidArgument("pg restore needs --data-dir DIR");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    return AlreadyExists("data directory " + dir + " is not empty: restore into an empty or new directory");
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("create " + dir, errno);
  LB_ASSIGN_OR_RETURN(Node pgdata, reader.Find("/pgdata"));
  if (pgdata.type != "dir" || !pgdata.subtree) return Corrupt("snapshot " + snapshot.id.Short() + ": /pgdata is not a directory");
  // The data directory belongs to the server's user, as in the backup.
  uid_t uid = pgdata.uid;
  gid_t gid = pgdata.gid;
  // The relation files of a differential backup are put together while
  // the rest of the data directory is restored.
  std::future<Result<AppliedDeltas>> deltas;
  if (m.type == "diff") {
    deltas = std::async(std::launch::async, [&] { return ApplyDeltas(reader, dir, uid, gid); });
  }
  Result<SnapshotReader::TreeRestore> rs = reader.RestoreTree("/pgdata", dir);
  Result<AppliedDeltas> applied = deltas.valid() ? deltas.get() : Result<AppliedDeltas>(AppliedDeltas{});
  if (!rs.ok()) return rs.status();
  if (rs->errors > 0) return Status(Code::kIncomplete, std::to_string(rs->errors) + " files of the base backup could not be restored");
  if (!applied.ok()) return applied.status().WithContext("differential base backup " + snapshot.id.Short());
  if (geteuid() == 0 && chown(dir.c_str(), uid, gid) != 0) return ErrnoStatus("chown " + dir, errno);
  chmod(dir.c_str(), 0700);
  PhysicalRestoreSummary sum;
  sum.delta_files = applied->files;
  sum.files = rs->files + applied->files;
  sum.bytes = rs->bytes + applied->bytes;

  LB_ASSIGN_OR_RETURN(std::string label, reader.ReadFile("/postgres/backup_label"));
  LB_RETURN_IF_ERROR(WriteSmallFile(dir + "/backup_label", label, false, uid, gid));
  auto spc = reader.ReadFile("/postgres/tablespace_map");
  if (spc.ok() && !spc->empty()) LB_RETURN_IF_ERROR(WriteSmallFile(dir + "/tablespace_map", *spc, false, uid, gid));
  LB_RETURN_IF_ERROR(WriteSmallFile(dir + "/recovery.signal", "", false, uid, gid));

  // postgresql.conf quotes values as SQL quotes string literals.
  std::string conf = "\n# lifeboat pg restore of snapshot " + snapshot.id.Short() + " (" + FormatRfc3339(Now()) + ")\n";
  conf += "restore_command = " + QuoteLiteral(o.restore_command) + "\n";
  conf += "recovery_target_timeline = 'latest'\n";
  if (!o.to_time.empty()) {
    conf += "recovery_target_time = " + QuoteLiteral(o.to_time) + "\n";
    sum.target = "time " + o.to_time;
  } else if (!o.to_lsn.empty()) {
    conf += "recovery_target_lsn = " + QuoteLiteral(o.to_lsn) + "\n";
    sum.target = "lsn " + o.to_lsn;
  } else if (o.immediate) {
    conf += "recovery_target = 'immediate'\n";
    sum.target = "the end of the backup";
  } else {
    sum.target = "the end of the archive";
  }
  if (!o.to_time.empty() || !o.to_lsn.empty() || o.immediate) conf += "recovery_target_action = 'promote'\n";
  LB_RETURN_IF_ERROR(WriteSmallFile(dir + "/postgresql.auto.conf", conf, true, uid, gid));
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sum;
}

}  // namespace lifeboat::pg
