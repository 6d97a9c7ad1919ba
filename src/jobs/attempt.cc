#include "jobs/attempt.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/backup.h"
#include "engine/copy.h"
#include "engine/prune.h"
#include "engine/restore.h"
#include "engine/snapshot_reader.h"
#include "engine/stats.h"
#include "env/env.h"
#include "jobs/hooks.h"
#include "repo/lock.h"
#include "repo/repository.h"
#include "source/registry.h"
#include "storage/storage.h"
#include "verify/trial_restore.h"

namespace lifeboat {
namespace {

// How long an attempt waits for another client's conflicting lock (a
// `lifeboat check` someone runs by hand, a copy into this repository).
constexpr int64_t kLockWaitMs = 10 * 60 * 1000;

Result<std::unique_ptr<RepoLock>> LockRepository(Repository& repo, const RepositorySpec& spec,
                                                 bool exclusive) {
  auto lock = RepoLock::AcquireWithRetry(repo, exclusive, kLockWaitMs, [](const Status&) {});
  if (!lock.ok()) return lock.status().WithContext("repository " + spec.name);
  return lock;
}

Status RunHooks(const std::vector<std::string>& commands, const HookRun& run, double timeout) {
  for (const std::string& cmd : commands) LB_RETURN_IF_ERROR(RunHook(cmd, run, timeout));
  return Status::Ok();
}

// The job's snapshots in `repo`: those of the new snapshot's host and paths
// (the group forget keeps them in), oldest first.
std::vector<Snapshot> SameGroup(const std::vector<Snapshot>& all, const Snapshot& made) {
  std::vector<Snapshot> out;
  for (const Snapshot& s : all) {
    if (s.hostname == made.hostname && s.paths == made.paths) out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) { return a.time < b.time; });
  return out;
}

CopyOutcome CopyTo(Repository& src, const RepositorySpec& to, const std::vector<Snapshot>& group) {
  CopyOutcome out;
  out.to = to.name;
  std::set<std::string> done;
  Status s = [&]() -> Status {
    LB_ASSIGN_OR_RETURN(auto dst, OpenRepository(to));
    LB_ASSIGN_OR_RETURN(auto lock, LockRepository(*dst, to, /*exclusive=*/false));
    LB_RETURN_IF_ERROR(dst->LoadIndex(/*adopt_orphans=*/true).WithContext("repository " + to.name));
    CopyStats stats;
    Status copied = CopySnapshots(
        src, *dst, group, &stats,
        [&](const Snapshot& snap, const std::string&, const Id&) { done.insert(snap.id.Hex()); });
    out.copied = stats.snapshots_copied;
    return copied.WithContext("copy to " + to.name);
  }();
  if (!s.ok()) {
    out.error = s.message();
    out.code = s.code();
  }
  // How long the copy has been behind: since the oldest snapshot of the job
  // it does not hold yet.
  for (const Snapshot& snap : group) {
    if (done.count(snap.id.Hex()) == 0) {
      out.behind_since = snap.time;
      break;
    }
  }
  return out;
}

void SetError(AttemptResult* r, const Status& s) {
  r->error = s.message();
  r->code = static_cast<int>(s.code());
}

uint64_t StoredBytes(Repository& repo) {
  uint64_t total = 0;
  repo.index().ForEachPack([&](const Id&, std::vector<PackedBlob>& blobs) {
    for (const PackedBlob& b : blobs) total += b.length;
  });
  return total;
}

// After a snapshot exists: the size, forget, the copies. Sets result.error
// for the first step that fails; the copies are tried whatever forget did.
void AfterBackup(const JobTargets& targets, Repository& repo, std::unique_ptr<RepoLock>& lock,
                 AttemptResult& result) {
  auto fail = [&](const Status& s) {
    if (result.error.empty()) SetError(&result, s);
  };
  auto made = repo.LoadSnapshot(*Id::FromHex(result.snapshot_id));
  if (!made.ok()) return fail(made.status());
  result.snapshot_time = made->time;
  if (auto stats = ComputeStats(repo, {*made}, StatsMode::kRawData); stats.ok()) {
    result.snapshot_size = stats->stored;
  } else {
    fail(stats.status().WithContext("size of snapshot " + made->id.Short()));
  }
  if (targets.retention) {
    lock.reset();
    auto exclusive = LockRepository(repo, targets.repository, /*exclusive=*/true);
    if (!exclusive.ok()) {
      fail(exclusive.status().WithContext("forget"));
    } else {
      lock = std::move(*exclusive);
      Status s = [&]() -> Status {
        LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo.LoadAllSnapshots());
        LB_ASSIGN_OR_RETURN(ForgetPlan plan, PlanForget(all, {*targets.retention}, "host,paths"));
        for (const RetentionDecision& d : plan.removals) {
          LB_RETURN_IF_ERROR(repo.storage().Remove(FileType::kSnapshot, d.snapshot.id.Hex()));
          ++result.forgotten;
        }
        return Status::Ok();
      }();
      if (!s.ok()) fail(s.WithContext("forget by retention class " + targets.retention->name));
      lock.reset();
      if (auto shared = LockRepository(repo, targets.repository, false); shared.ok())
        lock = std::move(*shared);
    }
  }
  auto all = repo.LoadAllSnapshots();
  if (!all.ok()) return fail(all.status());
  result.repository_snapshots = all->size();
  result.repository_size = StoredBytes(repo);
  std::vector<Snapshot> group = SameGroup(*all, *made);
  for (const RepositorySpec& to : targets.copy_to) {
    CopyOutcome c = CopyTo(repo, to, group);
    if (!c.error.empty()) fail(Status(c.code, c.error));
    result.copies.push_back(std::move(c));
  }
}

// A prune job: forget has run after each backup; this removes the data no
// snapshot needs, under the exclusive lock (the Planner has already kept
// the repository's other jobs from running).
AttemptResult RunPruneAttempt(const JobTargets& targets, double max_unused, ProgressCounters* progress) {
  AttemptResult result;
  Status s = [&]() -> Status {
    LB_ASSIGN_OR_RETURN(auto repo, OpenRepository(targets.repository));
    LB_ASSIGN_OR_RETURN(auto lock, LockRepository(*repo, targets.repository, /*exclusive=*/true));
    LB_RETURN_IF_ERROR(repo->LoadIndex());
    PruneOptions opts;
    opts.max_unused_fraction = max_unused;
    LB_ASSIGN_OR_RETURN(PruneReport report, Prune(*repo, opts, progress));
    result.repository_snapshots = report.snapshots;
    result.repository_size = report.used_bytes + report.unused_after;
    return Status::Ok();
  }();
  if (!s.ok()) {
    SetError(&result, s.WithContext("prune of " + targets.repository.name));
    return result;
  }
  result.result = "success";
  return result;
}

// A verify job: the restore test of the newest snapshot the backup job
// `job.for_job` made here (this host, its source's paths). A database
// snapshot is loaded into a scratch server by its driver and its
// fingerprint compared; a file snapshot is restored into a scratch
// directory and every file read back against it.
AttemptResult RunVerifyAttempt(const JobSpec& job, const JobTargets& targets, ProgressCounters* progress,
                               WarningSink* warnings) {
  AttemptResult result;
  MapOptions options(job.options);
  auto source = SourceFor(job.source, options);
  if (!source.ok()) {
    SetError(&result, source.status().WithContext("job " + job.name));
    result.retryable = false;
    return result;
  }
  const std::string what = (*source)->Display();
  Status s = [&]() -> Status {
    LB_ASSIGN_OR_RETURN(auto repo, OpenRepository(targets.repository));
    LB_ASSIGN_OR_RETURN(auto lock, LockRepository(*repo, targets.repository, /*exclusive=*/false));
    LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo->LoadAllSnapshots());
    const std::string host = HostName();
    const std::vector<std::string> paths = RecordedPaths(**source);
    const Snapshot* newest = nullptr;
    for (const Snapshot& snap : all) {
      std::vector<std::string> p = snap.paths;
      std::sort(p.begin(), p.end());
      if (snap.hostname == host && p == paths && (newest == nullptr || newest->time < snap.time)) {
        newest = &snap;
      }
    }
    if (newest == nullptr) {
      return NotFound("no snapshot of " + what + " from host " + host + " in repository " +
                      targets.repository.name);
    }
    result.snapshot_id = newest->id.Hex();
    result.snapshot_time = newest->time;
    LB_RETURN_IF_ERROR(repo->LoadIndex());
    const std::string snapshot = "snapshot " + newest->id.Short() + " of " + what;
    LB_ASSIGN_OR_RETURN(RestoreTestResult test,
                        RunRestoreTest(*repo, *newest, options, progress, warnings, job.for_job));
    result.bytes_processed = test.bytes;
    result.test_kind = test.kind;
    result.test_reason = test.reason;
    result.test_lines = test.report.lines;
    result.test_seconds = test.seconds;
    result.test_files = test.files;
    if (!test.passed) {
      result.retryable = false;
      return Corrupt(snapshot + " did not restore to the data it was taken of: " + test.reason);
    }
    return Status::Ok();
  }();
  if (!s.ok()) {
    SetError(&result, s.WithContext("restore test"));
    return result;
  }
  result.result = "success";
  return result;
}

// An archive job: asks the source's system what it last archived (for
// PostgreSQL, pg_stat_archiver) and checks that the repository holds it.
// Reads one file's size: no lock, no index.
AttemptResult RunArchiveAttempt(const JobSpec& job, const JobTargets& targets) {
  AttemptResult result;
  const Driver* d = DriverForUrl(job.source);
  if (d == nullptr || !d->archive_status) {
    SetError(&result, InvalidArgument("job " + job.name + ": the source has no archive to check"));
    result.retryable = false;
    return result;
  }
  MapOptions options(job.options);
  auto source = SourceFor(job.source, options);  // for its name without a password
  const std::string what = source.ok() ? (*source)->Display() : d->name + " source of job " + job.for_job;
  Status s = [&]() -> Status {
    LB_ASSIGN_OR_RETURN(auto repo, OpenRepository(targets.repository));
    LB_ASSIGN_OR_RETURN(ArchiveStatus status, d->archive_status(job.source, options, *repo));
    result.archived_last = status.last_file;
    result.archived_last_time = status.last_time;
    // The archive's copies (the DR repository's WAL): every file the
    // copy lacks. A failed copy is behind since the newest file archived
    // here (at least).
    for (const RepositorySpec& to : targets.copy_to) {
      CopyOutcome c;
      c.to = to.name;
      Status copied = [&]() -> Status {
        LB_ASSIGN_OR_RETURN(auto dst, OpenRepository(to));
        LB_ASSIGN_OR_RETURN(auto lock, LockRepository(*dst, to, /*exclusive=*/false));
        LB_ASSIGN_OR_RETURN(LogCopyStats stats, CopyLogArchive(*repo, *dst));
        c.copied = stats.files_copied;
        return Status::Ok();
      }();
      if (!copied.ok()) {
        c.error = copied.WithContext("copy of the log archive to " + to.name).message();
        c.code = copied.code();
        c.behind_since = status.last_time.sec != 0 ? status.last_time : Now();
      }
      result.copies.push_back(std::move(c));
    }
    if (!status.failing.empty()) return Status(Code::kIoError, status.failing);
    for (const CopyOutcome& c : result.copies) {
      if (!c.error.empty()) return Status(c.code, c.error);
    }
    return Status::Ok();
  }();
  if (!s.ok()) {
    SetError(&result,
             s.WithContext("archive check of " + what + " in repository " + targets.repository.name));
    return result;
  }
  result.result = "success";
  return result;
}

}  // namespace

Result<std::unique_ptr<Repository>> OpenRepository(const RepositorySpec& spec) {
  const std::string what = "repository " + spec.name;
  auto storage = OpenStorage(spec.url, spec.options);
  if (!storage.ok()) return storage.status().WithContext(what);
  auto password = ResolvePassword(spec);
  if (!password.ok()) return password.status();
  auto repo = Repository::Open(std::move(*storage), *password);
  if (!repo.ok()) return repo.status().WithContext(what);
  (*repo)->EnableCache(DefaultCacheRoot());
  return std::move(*repo);
}

// The paths a snapshot of `source` records, as backup writes them: a
// stream source's own; absolute and lexically clean for files. Sorted.
std::vector<std::string> RecordedPaths(const Source& source) {
  std::vector<std::string> out;
  for (const std::string& p : source.SnapshotPaths()) {
    if (UrlScheme(p).empty()) {
      std::filesystem::path abs = std::filesystem::absolute(p).lexically_normal();
      std::string text = abs.string();
      while (text.size() > 1 && text.back() == '/') text.pop_back();
      out.push_back(text);
    } else {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

AttemptResult RunAttempt(const JobSpec& job, const JobTargets& targets, ProgressCounters* progress,
                         WarningSink* warnings) {
  if (job.kind == "prune") return RunPruneAttempt(targets, job.prune_max_unused, progress);
  if (job.kind == "verify") return RunVerifyAttempt(job, targets, progress, warnings);
  if (job.kind == "archive") return RunArchiveAttempt(job, targets);
  AttemptResult result;
  MapOptions options(job.options);
  auto source = SourceFor(job.source, options);
  if (!source.ok()) {
    SetError(&result, source.status().WithContext("job " + job.name));
    result.retryable = false;
    return result;
  }
  for (const auto* list : {&job.pre_hooks, &job.post_hooks}) {
    for (const std::string& cmd : *list) {
      if (Status s = SplitCommandLine(cmd).status(); !s.ok()) {
        SetError(&result, s.WithContext("hook"));
        result.retryable = false;
        return result;
      }
    }
  }
  auto repo = OpenRepository(targets.repository);
  if (!repo.ok()) {
    SetError(&result, repo.status());
    return result;
  }
  auto lock = LockRepository(**repo, targets.repository, /*exclusive=*/false);
  if (!lock.ok()) {
    SetError(&result, lock.status());
    return result;
  }
  std::unique_ptr<RepoLock> held = std::move(*lock);
  const std::string what = (*source)->Display();
  BackupOptions opts;
  opts.tags = job.tags;
  // A retention class applies to the snapshots with its tag.
  if (targets.retention &&
      std::find(opts.tags.begin(), opts.tags.end(), targets.retention->tag) == opts.tags.end()) {
    opts.tags.push_back(targets.retention->tag);
  }
  Status pre = RunHooks(job.pre_hooks, HookRun{"pre", what, "", "", ""}, job.hook_timeout_seconds);
  Result<BackupSummary> backup = !pre.ok() ? Result<BackupSummary>(pre) : [&]() -> Result<BackupSummary> {
    LB_RETURN_IF_ERROR((*repo)->LoadIndex(/*adopt_orphans=*/true));
    return RunBackup(**repo, **source, opts, progress, warnings);
  }();
  HookRun post{"post", what, backup.ok() ? "success" : "failure",
               backup.ok() ? backup->snapshot_id.Hex() : "", backup.ok() ? "" : backup.status().message()};
  Status post_status = RunHooks(job.post_hooks, post, job.hook_timeout_seconds);
  if (!backup.ok()) {
    SetError(&result, backup.status().WithContext("backup of " + what));
    return result;
  }
  result.retryable = false;
  result.snapshot_id = backup->snapshot_id.Hex();
  result.bytes_added = backup->data_added;
  result.bytes_processed = backup->total_bytes_processed;
  result.unreadable = backup->errors;
  if (!post_status.ok()) SetError(&result, post_status);
  AfterBackup(targets, **repo, held, result);
  if (result.error.empty()) {
    result.result = result.unreadable > 0 ? "incomplete" : "success";
    if (result.unreadable > 0) {
      result.error = std::to_string(result.unreadable) + " item(s) of " + what + " could not be read";
    }
  }
  return result;
}

std::string AttemptResult::ToJson() const {
  nlohmann::json j{{"result", result},
                   {"error", error},
                   {"code", code},
                   {"retryable", retryable},
                   {"snapshot_id", snapshot_id},
                   {"snapshot_time", FormatRfc3339(snapshot_time)},
                   {"bytes_added", bytes_added},
                   {"bytes_processed", bytes_processed},
                   {"snapshot_size", snapshot_size},
                   {"unreadable", unreadable},
                   {"forgotten", forgotten},
                   {"repository_size", repository_size},
                   {"repository_snapshots", repository_snapshots},
                   {"copies", nlohmann::json::array()}};
  if (!archived_last.empty()) {
    j["archived_last"] = archived_last;
    j["archived_last_time"] = FormatRfc3339(archived_last_time);
  }
  if (!test_kind.empty()) {
    j["test"] = {{"kind", test_kind},
                 {"reason", test_reason},
                 {"lines", test_lines},
                 {"seconds", test_seconds},
                 {"files", test_files}};
  }
  for (const CopyOutcome& c : copies) {
    j["copies"].push_back({{"to", c.to},
                           {"copied", c.copied},
                           {"behind_since", c.behind_since.sec == 0 ? "" : FormatRfc3339(c.behind_since)},
                           {"error", c.error}});
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<AttemptResult> AttemptResult::FromJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Corrupt("attempt result: not a JSON object");
  AttemptResult r;
  try {
    r.result = j.at("result").get<std::string>();
    r.error = j.value("error", "");
    r.code = j.value("code", 0);
    r.retryable = j.value("retryable", true);
    r.snapshot_id = j.value("snapshot_id", "");
    if (auto t = ParseRfc3339(j.value("snapshot_time", ""))) r.snapshot_time = *t;
    r.bytes_added = j.value("bytes_added", uint64_t{0});
    r.bytes_processed = j.value("bytes_processed", uint64_t{0});
    r.snapshot_size = j.value("snapshot_size", uint64_t{0});
    r.unreadable = j.value("unreadable", uint64_t{0});
    r.forgotten = j.value("forgotten", uint64_t{0});
    r.repository_size = j.value("repository_size", uint64_t{0});
    r.repository_snapshots = j.value("repository_snapshots", uint64_t{0});
    r.archived_last = j.value("archived_last", "");
    if (auto t = ParseRfc3339(j.value("archived_last_time", ""))) r.archived_last_time = *t;
    if (j.contains("test")) {
      const auto& t = j.at("test");
      r.test_kind = t.value("kind", "");
      r.test_reason = t.value("reason", "");
      r.test_lines = t.value("lines", std::vector<std::string>{});
      r.test_seconds = t.value("seconds", 0.0);
      r.test_files = t.value("files", uint64_t{0});
    }
    for (const auto& c : j.value("copies", nlohmann::json::array())) {
      CopyOutcome o;
      o.to = c.at("to").get<std::string>();
      o.copied = c.value("copied", uint64_t{0});
      if (auto t = ParseRfc3339(c.value("behind_since", ""))) o.behind_since = *t;
      o.error = c.value("error", "");
      r.copies.push_back(std::move(o));
    }
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("attempt result: ") + e.what());
  }
  return r;
}

}  // namespace lifeboat
