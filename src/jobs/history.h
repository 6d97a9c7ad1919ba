// Run history: one row per run of a job (start, end, result, snapshot,
// bytes, the error line), in SQLite under the daemon's state_dir, so that
// it survives restarts and `lifeboat runs`, the HTTP API, the metrics and
// the reports read one record. SQLite in WAL mode: a reader (`runs`) never
// blocks the daemon's writes, and a killed process loses at most the run
// it was writing, which the next Open marks "interrupted".
#pragma once

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "env/env.h"

struct sqlite3;

namespace lifeboat {

struct RunRecord {
  int64_t id = 0;
  std::string job;
  std::string type;         // the metrics' type label
  std::string trigger;      // schedule, manual, missed
  Timestamp start, end;     // end: zero while running
  std::string result;       // running, success, failure, cancelled, interrupted
  std::string snapshot_id;  // of a successful backup
  uint64_t bytes_added = 0;
  std::string error;  // one line, no secrets (the callers' messages are)
  std::string details;  // JSON the runner keeps (jobs/attempt.h AttemptResult)
  bool finished() const { return result != "running"; }
  // end - start; meaningful once finished.
  double duration_seconds() const { return double(end.sec - start.sec) + (end.nsec - start.nsec) / 1e9; }
};

class RunHistory {
 public:
  // Opens (creating) the database at `path`; the runs this handle begins
  // belong to `owner` (env/env.h ProcessIdentity: this process). Runs left
  // "running" by an owner that is no longer alive become "interrupted".
  // kIoError naming the file if SQLite cannot open it or it is not a
  // history database.
  static Result<std::unique_ptr<RunHistory>> Open(const std::string& path,
                                                  std::string owner = ProcessIdentity(getpid()));
  ~RunHistory();

  // Records the start of a run; returns its id.
  Result<int64_t> Begin(const std::string& job, const std::string& type, const std::string& trigger,
                        Timestamp start);
  // Records its end. kNotFound for an unknown id, kInvalidArgument for a
  // run that has ended already or a result that is not an end.
  Status Finish(int64_t id, Timestamp end, const std::string& result, const std::string& snapshot_id,
                uint64_t bytes_added, const std::string& error, const std::string& details = "");
  // Newest first; `job` empty: every job. At most `limit` rows (0: all).
  Result<std::vector<RunRecord>> List(const std::string& job, size_t limit = 0);
  // The newest finished run of `job` with `result` (e.g. the last success).
  Result<std::optional<RunRecord>> Last(const std::string& job, const std::string& result);
  // Deletes finished runs that ended before `before`; returns how many.
  Result<int> Expire(Timestamp before);

 private:
  RunHistory(sqlite3* db, std::string path, std::string owner)
      : db_(db), path_(std::move(path)), owner_(std::move(owner)) {}
  Status MarkInterrupted();
  Status Exec(const char* sql);
  Status Error(const std::string& what) const;

  std::mutex mu_;
  sqlite3* db_;
  std::string path_;
  std::string owner_;
};

}  // namespace lifeboat
