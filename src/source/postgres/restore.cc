#include "source/postgres/restore.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <thread>

#include "source/postgres/custom_format.h"
#include "source/postgres/tools.h"

namespace lifeboat::pg {
namespace {

// A dump staged in a temporary directory (pg_restore's parallel jobs need a
// seekable file), written by the parallel restore engine; removed when this
// goes.
struct StagedFile {
  std::string dir, path;
  ~StagedFile() {
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};

// Where to stage a dump of `bytes`: --temp-dir if given; else /dev/shm when
// it has room for twice the dump (no disk writes competing with the
// server's), else $TMPDIR or /tmp.
std::string StagingDir(const std::string& temp_dir, uint64_t bytes) {
  if (!temp_dir.empty()) return temp_dir;
  struct statvfs vs;
  if (statvfs("/dev/shm", &vs) == 0 && static_cast<uint64_t>(vs.f_bavail) * vs.f_frsize > 2 * bytes &&
      access("/dev/shm", W_OK) == 0) {
    return "/dev/shm";
  }
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

Result<std::unique_ptr<StagedFile>> Stage(SnapshotReader& reader, const std::string& file,
                                          const std::string& temp_dir, uint64_t bytes) {
  const Snapshot& snapshot = reader.snapshot();
  std::string base = StagingDir(temp_dir, bytes);
  auto f = std::make_unique<StagedFile>();
  std::string tmpl = base + "/lifeboat-restore-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("create a temporary directory in " + base, errno);
  f->dir = tmpl;
  LB_ASSIGN_OR_RETURN(SnapshotReader::TreeRestore rs, reader.RestoreTree("/", f->dir, {file}));
  if (rs.errors > 0 || rs.files != 1) return Corrupt("the dump " + file + " of snapshot " + snapshot.id.Short() + " could not be read");
  f->path = f->dir + file;
  // pg_restore --jobs seeks to each table's data only if the archive says
  // where it is; a dump streamed from a pipe does not.
  LB_RETURN_IF_ERROR(PrepareForParallelRestore(f->path));
  return f;
}

Result<bool> DatabaseExists(PgConn& conn, const std::string& name) {
  LB_ASSIGN_OR_RETURN(Rows r, conn.Query("SELECT 1 FROM pg_database WHERE datname = " + QuoteLiteral(name)));
  return r.size() > 0;
}

// Tables, views, sequences and functions outside the system schemas.
Result<uint64_t> UserObjects(PgConn& conn) {
  LB_ASSIGN_OR_RETURN(
      Rows r, conn.Query("SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE c.relkind IN ('r','p','v','m','S','f') AND n.nspname NOT IN "
                         "('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
                         "AND n.nspname NOT LIKE 'pg\\_temp%') + (SELECT count(*) FROM pg_largeobject_metadata)"));
  return std::strtoull(r.at(0, 0).c_str(), nullptr, 10);
}

}  // namespace

bool IsLogicalSnapshot(const Snapshot& snapshot) {
  return snapshot.paths.size() == 1 && IsPgUrl(snapshot.paths[0]);
}

Result<LogicalManifest> LoadManifest(SnapshotReader& reader) {
  const Snapshot& snapshot = reader.snapshot();
  auto text = reader.ReadFile(kManifestPath);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) {
      return InvalidArgument("snapshot " + snapshot.id.Short() + " is not a logical PostgreSQL backup");
    }
    return text.status().WithContext("snapshot " + snapshot.id.Short());
  }
  return LogicalManifest::FromJson(*text);
}

Status CreateDatabase(PgConn& conn, const std::string& name, const DatabaseEntry& entry) {
  std::string base = "CREATE DATABASE " + QuoteIdent(name) + " TEMPLATE template0";
  if (!entry.encoding.empty()) base += " ENCODING " + QuoteLiteral(entry.encoding);
  std::string with_locale = base;
  if (!entry.collate.empty()) with_locale += " LC_COLLATE " + QuoteLiteral(entry.collate);
  if (!entry.ctype.empty()) with_locale += " LC_CTYPE " + QuoteLiteral(entry.ctype);
  Status s = conn.Exec(with_locale);
  if (s.ok()) return s;
  // The locale may not exist on this machine; C always does.
  Status c = conn.Exec(base + " LC_COLLATE 'C' LC_CTYPE 'C'");
  return c.ok() ? c : s.WithContext("create database " + name);
}

Result<LogicalRestoreSummary> RestoreLogical(SnapshotReader& reader, const PgTarget& to,
                                             const LogicalRestoreOptions& options) {
  auto start = std::chrono::steady_clock::now();
  LB_ASSIGN_OR_RETURN(LogicalManifest manifest, LoadManifest(reader));
  LB_ASSIGN_OR_RETURN(const DatabaseEntry* entry, manifest.Find(options.database));
  LogicalRestoreSummary sum;
  sum.from = entry->name;
  sum.to = to.dbname.empty() ? entry->name : to.dbname;
  std::string where = to.Display(sum.to);

  LB_ASSIGN_OR_RETURN(auto admin, PgConn::Connect(to, "postgres"));
  LB_ASSIGN_OR_RETURN(bool exists, DatabaseExists(*admin, sum.to));
  if (!exists) {
    if (!options.create) {
      return NotFound("database " + sum.to + " does not exist on " + to.Display("") + ": create it or give --create");
    }
    LB_RETURN_IF_ERROR(CreateDatabase(*admin, sum.to, *entry));
    sum.created = true;
  } else {
    LB_ASSIGN_OR_RETURN(auto conn, PgConn::Connect(to, sum.to));
    LB_ASSIGN_OR_RETURN(uint64_t objects, UserObjects(*conn));
    if (objects > 0 && !options.clean) {
      return AlreadyExists("database " + where + " is not empty (" + std::to_string(objects) +
                           " objects): restore into a new database (--create), or give --clean to replace them");
    }
  }
  int server_major = admin->major_version();
  admin.reset();
  LB_ASSIGN_OR_RETURN(std::string pg_restore, FindTool("pg_restore", server_major));
  LB_ASSIGN_OR_RETURN(Node node, reader.Find(entry->dump));
  sum.bytes = node.size;
  LB_ASSIGN_OR_RETURN(auto staged, Stage(reader, entry->dump, options.temp_dir, node.size));

  int jobs = options.jobs > 0 ? options.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  SubprocessOptions o = ToolProcess({pg_restore, "--jobs=" + std::to_string(jobs), "--dbname=" + to.ConnInfo(sum.to)}, &to);
  if (options.clean) {
    o.argv.push_back("--clean");
    o.argv.push_back("--if-exists");
  }
  if (options.no_owner) o.argv.push_back("--no-owner");
  if (options.no_tablespaces) o.argv.push_back("--no-tablespaces");
  o.argv.push_back(staged->path);
  LB_ASSIGN_OR_RETURN(auto proc, Subprocess::Start(o));
  LB_RETURN_IF_ERROR(proc->Wait().WithContext("restore of " + entry->name + " into " + where));
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sum;
}

Status WriteDump(SnapshotReader& reader, const std::string& database, bool sql, int fd) {
  LB_ASSIGN_OR_RETURN(LogicalManifest manifest, LoadManifest(reader));
  LB_ASSIGN_OR_RETURN(const DatabaseEntry* entry, manifest.Find(database));
  LB_ASSIGN_OR_RETURN(Node node, reader.Find(entry->dump));
  if (!sql) return reader.CopyFile(node, fd, "dump of " + entry->name);
  LB_ASSIGN_OR_RETURN(std::string pg_restore, FindTool("pg_restore", manifest.server_version / 10000));
  SubprocessOptions o = ToolProcess({pg_restore, "--file=-"});
  o.stdin_mode = SubprocessOptions::Io::kPipe;
  o.stdout_fd = fd;
  LB_ASSIGN_OR_RETURN(auto proc, Subprocess::Start(o));
  Status wrote = reader.CopyFile(node, proc->stdin_fd(), "pg_restore's input");
  proc->CloseStdin();
  Status done = proc->Wait();
  LB_RETURN_IF_ERROR(done.WithContext("SQL of " + entry->name));
  return wrote;
}

}  // namespace lifeboat::pg
