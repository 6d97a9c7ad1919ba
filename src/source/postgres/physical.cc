#include "source/postgres/physical.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/restore.h"
#include "engine/walk.h"
#include "env/env.h"
#include "env/process.h"

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

std::string ConfQuote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
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
                   {"stop_time", stop_time}};
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
  return m;
}

Result<std::unique_ptr<PhysicalBackup>> PhysicalBackup::Prepare(const PgTarget& target) {
  std::unique_ptr<PhysicalBackup> b(new PhysicalBackup());
  b->target_ = target;
  LB_ASSIGN_OR_RETURN(b->conn_, PgConn::Connect(target, target.dbname.empty() ? "postgres" : target.dbname));
  PgConn& c = *b->conn_;
  LB_ASSIGN_OR_RETURN(Rows r, c.Query("SELECT current_setting('data_directory'), current_setting('archive_mode'), "
                                      "current_setting('archive_command'), current_setting('wal_level'), "
                                      "(SELECT system_identifier::text FROM pg_control_system()), "
                                      "(SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')), "
                                      "pg_is_in_recovery()::text"));
  PhysicalManifest& m = b->manifest_;
  m.source = target.Display("");
  m.server_version = c.server_version();
  m.data_directory = r.at(0, 0);
  m.system_identifier = r.at(0, 4);
  std::string where = target.Display("");
  if (r.at(0, 6) == "true") return InvalidArgument("base backup of a standby (" + where + ") is not supported: back up the primary");
  if (r.at(0, 3) == "minimal") return InvalidArgument(where + " has wal_level = minimal: a base backup needs replica or logical");
  if (r.at(0, 1) == "off") {
    return InvalidArgument(where + " has archive_mode = off: a base backup is restorable only with its WAL archived "
                                   "(archive_command = 'lifeboat pg wal-push %p', see docs/postgres.md)");
  }
  if (r.at(0, 2).find("wal-push") == std::string::npos) {
    b->warnings_.push_back("archive_command of " + where + " does not run lifeboat pg wal-push; restores need the WAL in this repository");
  }
  if (r.at(0, 5) != "0") {
    return InvalidArgument(where + " has tablespaces outside the data directory; lifeboat's base backups do not cover them yet");
  }
  if (access(m.data_directory.c_str(), R_OK | X_OK) != 0) {
    return Status(Code::kAccessDenied, "the data directory " + m.data_directory + " of " + where +
                                           " is not readable here: run the base backup on the database host, as root or the server's user");
  }
  // pg_backup_stop waits for the archiver; a broken archive_command must not hang us forever.
  LB_RETURN_IF_ERROR(c.Exec("SET statement_timeout = '15min'"));
  return b;
}

PhysicalBackup::~PhysicalBackup() = default;  // a backup never stopped ends with the connection

Status PhysicalBackup::Start() {
  manifest_.label = "lifeboat " + FormatRfc3339(Now());
  LB_ASSIGN_OR_RETURN(Rows r, conn_->Query("SELECT lsn::text, pg_walfile_name(lsn) FROM pg_backup_start(" +
                                           QuoteLiteral(manifest_.label) + ", true) AS lsn"));
  manifest_.start_lsn = r.at(0, 0);
  manifest_.start_wal = r.at(0, 1);
  manifest_.timeline = static_cast<int>(std::strtol(manifest_.start_wal.substr(0, 8).c_str(), nullptr, 16));
  started_ = true;
  return Status::Ok();
}

Status PhysicalBackup::Stop() {
  auto r = conn_->Query("SELECT lsn::text, pg_walfile_name(lsn), labelfile, coalesce(spcmapfile, '') FROM pg_backup_stop(true)");
  if (!r.ok()) {
    return r.status().WithContext("pg_backup_stop (waiting for the WAL of the backup to be archived: is archive_command working?)");
  }
  manifest_.stop_lsn = r->at(0, 0);
  manifest_.stop_wal = r->at(0, 1);
  label_file_ = r->at(0, 2);
  spc_map_file_ = r->at(0, 3);
  manifest_.stop_time = FormatRfc3339(Now());
  started_ = false;
  return Status::Ok();
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

std::vector<StreamItem> PhysicalBackup::Items() {
  std::vector<StreamItem> items;
  StreamItem data;
  data.path = "pgdata";
  data.dir = manifest_.data_directory;
  data.open = [this]() -> Result<int> {
    LB_RETURN_IF_ERROR(Start());
    return -1;
  };
  items.push_back(std::move(data));
  items.push_back({"postgres/backup_label", [this]() -> Result<int> {
                     LB_RETURN_IF_ERROR(Stop());
                     return FdFromString(label_file_);
                   },
                   nullptr});
  items.push_back({"postgres/tablespace_map", [this] { return FdFromString(spc_map_file_); }, nullptr});
  items.push_back({kPhysicalManifestPath, [this] { return FdFromString(manifest_.ToJson()); }, nullptr});
  return items;
}

bool IsBaseBackupSnapshot(const Snapshot& snapshot) { return snapshot.HasTag(kBaseBackupTag); }

Result<PhysicalManifest> LoadPhysicalManifest(Repository& repo, const Snapshot& snapshot) {
  auto text = ReadSnapshotFile(repo, snapshot.tree, kPhysicalManifestPath);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) {
      return InvalidArgument("snapshot " + snapshot.id.Short() + " is not a PostgreSQL base backup");
    }
    return text.status().WithContext("snapshot " + snapshot.id.Short());
  }
  return PhysicalManifest::FromJson(*text);
}

Result<PhysicalRestoreSummary> RestorePhysical(Repository& repo, const Snapshot& snapshot,
                                               const PhysicalRestoreOptions& o) {
  auto start = std::chrono::steady_clock::now();
  LB_ASSIGN_OR_RETURN(PhysicalManifest m, LoadPhysicalManifest(repo, snapshot));
  const std::string& dir = o.data_dir;
  if (dir.empty()) return InvalidArgument("pg restore needs --data-dir DIR");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    return AlreadyExists("data directory " + dir + " is not empty: restore into an empty or new directory");
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("create " + dir, errno);
  LB_ASSIGN_OR_RETURN(Node pgdata, FindPath(repo, snapshot.tree, "/pgdata"));
  if (pgdata.type != "dir" || !pgdata.subtree) return Corrupt("snapshot " + snapshot.id.Short() + ": /pgdata is not a directory");
  Snapshot data = snapshot;
  data.tree = *pgdata.subtree;
  RestoreOptions ro;
  ro.target = dir;
  LB_ASSIGN_OR_RETURN(RestoreSummary rs, RunRestore(repo, data, ro, nullptr, nullptr));
  if (rs.errors > 0) return Status(Code::kIncomplete, std::to_string(rs.errors) + " files of the base backup could not be restored");
  // The data directory belongs to the server's user, as in the backup.
  uid_t uid = pgdata.uid;
  gid_t gid = pgdata.gid;
  if (geteuid() == 0 && chown(dir.c_str(), uid, gid) != 0) return ErrnoStatus("chown " + dir, errno);
  chmod(dir.c_str(), 0700);

  LB_ASSIGN_OR_RETURN(std::string label, ReadSnapshotFile(repo, snapshot.tree, "/postgres/backup_label"));
  LB_RETURN_IF_ERROR(WriteSmallFile(dir + "/backup_label", label, false, uid, gid));
  auto spc = ReadSnapshotFile(repo, snapshot.tree, "/postgres/tablespace_map");
  if (spc.ok() && !spc->empty()) LB_RETURN_IF_ERROR(WriteSmallFile(dir + "/tablespace_map", *spc, false, uid, gid));
  LB_RETURN_IF_ERROR(WriteSmallFile(dir + "/recovery.signal", "", false, uid, gid));

  PhysicalRestoreSummary sum;
  std::string conf = "\n# lifeboat pg restore of snapshot " + snapshot.id.Short() + " (" + FormatRfc3339(Now()) + ")\n";
  conf += "restore_command = " + ConfQuote(o.restore_command) + "\n";
  conf += "recovery_target_timeline = 'latest'\n";
  if (!o.to_time.empty()) {
    conf += "recovery_target_time = " + ConfQuote(o.to_time) + "\n";
    sum.target = "time " + o.to_time;
  } else if (!o.to_lsn.empty()) {
    conf += "recovery_target_lsn = " + ConfQuote(o.to_lsn) + "\n";
    sum.target = "lsn " + o.to_lsn;
  } else if (o.immediate) {
    conf += "recovery_target = 'immediate'\n";
    sum.target = "the end of the backup";
  } else {
    sum.target = "the end of the archive";
  }
  if (!o.to_time.empty() || !o.to_lsn.empty() || o.immediate) conf += "recovery_target_action = 'promote'\n";
  LB_RETURN_IF_ERROR(WriteSmallFile(dir + "/postgresql.auto.conf", conf, true, uid, gid));
  sum.files = rs.files;
  sum.bytes = rs.bytes;
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sum;
}

}  // namespace lifeboat::pg
