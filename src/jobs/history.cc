#include "jobs/history.h"

#include <sqlite3.h>

#include "env/env.h"

namespace lifeboat {
namespace {

constexpr char kSchema[] = R"(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job TEXT NOT NULL,
  type TEXT NOT NULL,
  trigger TEXT NOT NULL,
  start_sec INTEGER NOT NULL, start_nsec INTEGER NOT NULL,
  end_sec INTEGER NOT NULL DEFAULT 0, end_nsec INTEGER NOT NULL DEFAULT 0,
  result TEXT NOT NULL DEFAULT 'running',
  snapshot_id TEXT NOT NULL DEFAULT '',
  bytes_added INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_by_job ON runs (job, id);
)";

constexpr char kColumns[] =
    "id, job, type, trigger, start_sec, start_nsec, end_sec, end_nsec, result, snapshot_id, bytes_added, "
    "error, details";

// A prepared statement, finalized on every path.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  void Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), int(s.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(stmt_, col))) : "";
  }
  RunRecord Record() {
    RunRecord r;
    r.id = Int(0);
    r.job = Text(1);
    r.type = Text(2);
    r.trigger = Text(3);
    r.start = Timestamp{Int(4), int32_t(Int(5))};
    r.end = Timestamp{Int(6), int32_t(Int(7))};
    r.result = Text(8);
    r.snapshot_id = Text(9);
    r.bytes_added = uint64_t(Int(10));
    r.error = Text(11);
    r.details = Text(12);
    return r;
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

}  // namespace

Result<std::unique_ptr<RunHistory>> RunHistory::Open(const std::string& path, std::string owner) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return IoError("run history " + path + ": " + why);
  }
  std::unique_ptr<RunHistory> h(new RunHistory(db, path, std::move(owner)));
  sqlite3_busy_timeout(db, 10000);  // another process writing: wait, do not fail
  LB_RETURN_IF_ERROR(h->Exec("PRAGMA journal_mode=WAL"));
  LB_RETURN_IF_ERROR(h->Exec(kSchema));
  LB_RETURN_IF_ERROR(h->MarkInterrupted());
  return h;
}

RunHistory::~RunHistory() { sqlite3_close(db_); }

// Runs left "running" by a process that is gone (another `lifeboat run`, or
// a daemon, may be running its own while this one opens the file).
Status RunHistory::MarkInterrupted() {
  std::vector<int64_t> dead;
  {
    Statement st(db_, "SELECT id, owner FROM runs WHERE result = 'running'");
    if (!st.ok()) return Error("prepare");
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) {
      if (!ProcessIdentityAlive(st.Text(1))) dead.push_back(st.Int(0));
    }
    if (rc != SQLITE_DONE) return Error("list running runs");
  }
  for (int64_t id : dead) {
    Statement st(
        db_,
        "UPDATE runs SET result = 'interrupted', error = 'the process running it ended before it did' "
        "WHERE id = ? AND result = 'running'");
    st.Bind(1, id);
    if (st.Step() != SQLITE_DONE) return Error("mark run " + std::to_string(id) + " interrupted");
  }
  return Status::Ok();
}

Status RunHistory::Error(const std::string& what) const {
  return IoError("run history " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status RunHistory::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    return IoError("run history " + path_ + ": " + why);
  }
  return Status::Ok();
}

Result<int64_t> RunHistory::Begin(const std::string& job, const std::string& type, const std::string& trigger,
                                  Timestamp start) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement st(
      db_, "INSERT INTO runs (job, type, trigger, start_sec, start_nsec, owner) VALUES (?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, job);
  st.Bind(2, type);
  st.Bind(3, trigger);
  st.Bind(4, start.sec);
  st.Bind(5, int64_t{start.nsec});
  st.Bind(6, owner_);
  if (st.Step() != SQLITE_DONE) return Error("record the start of " + job);
  return sqlite3_last_insert_rowid(db_);
}

Status RunHistory::Finish(int64_t id, Timestamp end, const std::string& result,
                          const std::string& snapshot_id, uint64_t bytes_added, const std::string& error,
                          const std::string& details) {
  if (result == "running" || result.empty())
    return InvalidArgument("run history: \"" + result + "\" is not an end");
  std::lock_guard<std::mutex> lock(mu_);
  Statement st(
      db_,
      "UPDATE runs SET end_sec = ?, end_nsec = ?, result = ?, snapshot_id = ?, bytes_added = ?, error = ?, "
      "details = ? WHERE id = ? AND result = 'running'");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, end.sec);
  st.Bind(2, int64_t{end.nsec});
  st.Bind(3, result);
  st.Bind(4, snapshot_id);
  st.Bind(5, static_cast<int64_t>(bytes_added));
  st.Bind(6, error);
  st.Bind(7, details);
  st.Bind(8, id);
  if (st.Step() != SQLITE_DONE) return Error("record the end of run " + std::to_string(id));
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  Statement q(db_, "SELECT result FROM runs WHERE id = ?");
  q.Bind(1, id);
  if (q.Step() != SQLITE_ROW) return NotFound("run history: no run " + std::to_string(id));
  return InvalidArgument("run history: run " + std::to_string(id) + " has ended already (" + q.Text(0) + ")");
}

Result<std::vector<RunRecord>> RunHistory::List(const std::string& job, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM runs WHERE (?1 = '' OR job = ?1) ORDER BY id DESC";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  Statement st(db_, sql.c_str());
  if (!st.ok()) return Error("prepare");
  st.Bind(1, job);
  std::vector<RunRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(st.Record());
  if (rc != SQLITE_DONE) return Error("list runs");
  return out;
}

Result<std::optional<RunRecord>> RunHistory::Last(const std::string& job, const std::string& result) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM runs WHERE job = ? AND result = ? ORDER BY id DESC LIMIT 1";
  Statement st(db_, sql.c_str());
  if (!st.ok()) return Error("prepare");
  st.Bind(1, job);
  st.Bind(2, result);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return std::optional<RunRecord>(st.Record());
  if (rc != SQLITE_DONE) return Error("read the last run of " + job);
  return std::optional<RunRecord>();
}

Result<int> RunHistory::Expire(Timestamp before) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement st(db_, "DELETE FROM runs WHERE result != 'running' AND end_sec < ?");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, before.sec);
  if (st.Step() != SQLITE_DONE) return Error("expire runs");
  return sqlite3_changes(db_);
}

}  // namespace lifeboat
