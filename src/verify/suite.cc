#include "verify/suite.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "verify/trial_restore.h"

namespace lifeboat {
namespace {

std::string JoinPaths(const std::vector<std::string>& paths) {
  std::string out;
  for (const std::string& p : paths) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

std::string SnapshotKind(const Snapshot& snapshot) {
  const Driver* d = DriverForSnapshot(snapshot);
  return d != nullptr ? d->name : "files";
}

std::vector<Snapshot> NewestPerSource(const std::vector<Snapshot>& all) {
  using Key = std::tuple<std::string, std::string, std::vector<std::string>>;
  std::map<Key, const Snapshot*> newest;
  for (const Snapshot& s : all) {
    std::vector<std::string> paths = s.paths;
    std::sort(paths.begin(), paths.end());
    const Snapshot*& slot = newest[Key{SnapshotKind(s), s.hostname, std::move(paths)}];
    if (slot == nullptr || slot->time < s.time) slot = &s;
  }
  std::vector<Snapshot> out;
  for (const auto& [key, snap] : newest) out.push_back(*snap);
  return out;
}

SnapshotCheck CheckSnapshot(Repository& repo, const std::string& repository, const Snapshot& snapshot,
                            const OptionView& options, ProgressCounters* progress, WarningSink* warnings) {
  SnapshotCheck c;
  c.kind = SnapshotKind(snapshot);
  c.group = ValidationGroupOf(c.kind);
  c.source = JoinPaths(snapshot.paths);
  c.host = snapshot.hostname;
  c.repository = repository;
  c.snapshot = snapshot.id.Short();
  c.snapshot_time = snapshot.time;
  Result<RestoreTestResult> test = RunRestoreTest(repo, snapshot, options, progress, warnings);
  if (!test.ok()) {
    c.verdict = Verdict::kFail;
    c.reason = "the restore test could not run: " + test.status().message();
    return c;
  }
  c.verdict = test->passed ? Verdict::kPass : Verdict::kFail;
  c.reason = test->reason;
  c.seconds = test->seconds;
  c.bytes = test->bytes;
  c.files = test->files;
  c.lines = test->report.lines;
  return c;
}

Result<ValidationReport> ValidateRepository(Repository& repo, const std::string& repository,
                                            const OptionView& options, Timestamp now,
                                            ProgressCounters* progress, WarningSink* warnings) {
  ValidationReport report;
  report.date = now;
  report.jobs_skipped = "no config: the run history is not known";
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo.LoadAllSnapshots());
  std::vector<Snapshot> newest = NewestPerSource(all);
  if (!newest.empty()) LB_RETURN_IF_ERROR(repo.LoadIndex());
  for (const Snapshot& snap : newest) {
    report.snapshots.push_back(CheckSnapshot(repo, repository, snap, options, progress, warnings));
  }
  return report;
}

}  // namespace lifeboat
