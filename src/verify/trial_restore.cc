#include "verify/trial_restore.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "engine/restore.h"
#include "engine/snapshot_reader.h"

namespace lifeboat {
namespace {

// Restores a file snapshot into a scratch directory under `base` ($TMPDIR
// if empty) with --verify (every file read back and compared with the
// snapshot), then removes it.
Result<RestoreSummary> RestoreFilesToScratch(Repository& repo, const Snapshot& snap, const std::string& base,
                                             ProgressCounters* progress, WarningSink* warnings) {
  std::string tmpl =
      (base.empty() ? std::filesystem::temp_directory_path().string() : base) + "/lifeboat-verify-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("scratch directory " + tmpl, errno);
  RestoreOptions opts;
  opts.target = tmpl;
  opts.verify = true;
  Result<RestoreSummary> summary = RunRestore(repo, snap, opts, progress, warnings);
  // Restored directories keep their modes; make them removable first.
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(tmpl, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) chmod(it->path().c_str(), 0700);
  }
  std::filesystem::remove_all(tmpl, ec);
  if (summary.ok() && ec) return ErrnoStatus("removing scratch directory " + tmpl, ec.value());
  return summary;
}

// Passes warnings on and keeps the first: the reason a test failed.
class FirstWarning final : public WarningSink {
 public:
  explicit FirstWarning(WarningSink* next) : next_(next) {}
  void Warn(const std::string& message) override {
    if (first_.empty()) first_ = message;
    if (next_ != nullptr) next_->Warn(message);
  }
  const std::string& first() const { return first_; }

 private:
  WarningSink* next_;
  std::string first_;
};

}  // namespace

std::string FirstFailure(const Report& report) {
  for (const std::string& line : report.lines) {
    if (line.rfind("FAIL ", 0) == 0) return line.substr(5);
  }
  return "";
}

Result<RestoreTestResult> RunRestoreTest(Repository& repo, const Snapshot& snapshot,
                                         const OptionView& options, ProgressCounters* progress,
                                         WarningSink* warnings) {
  RestoreTestResult out;
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (const Driver* d = DriverForSnapshot(snapshot)) {
    out.kind = d->name;
    if (!d->verify) return InvalidArgument("the " + d->name + " driver has no restore test");
    RepoSnapshotReader reader(repo, snapshot);
    LB_ASSIGN_OR_RETURN(VerifyOutcome outcome, d->verify(reader, options));
    out.passed = outcome.passed;
    out.bytes = reader.bytes_read();
    out.report = std::move(outcome.report);
    if (!out.passed) {
      out.reason = FirstFailure(out.report);
      if (out.reason.empty()) out.reason = "the restored data differs from the fingerprint taken at backup";
    }
    out.seconds = elapsed();
    return out;
  }
  out.kind = "files";
  FirstWarning first(warnings);
  LB_ASSIGN_OR_RETURN(
      RestoreSummary restored,
      RestoreFilesToScratch(repo, snapshot, options.Get("scratch-dir", options.Get("scratch_dir")), progress,
                            &first));
  out.bytes = restored.bytes;
  out.files = restored.files;
  out.passed = restored.errors == 0;
  if (!out.passed) {
    out.reason =
        std::to_string(restored.errors) + " item(s) could not be restored or differ from the snapshot";
    if (!first.first().empty()) out.reason += "; the first: " + first.first();
  }
  out.report.lines.push_back(std::string(out.passed ? "PASS" : "FAIL") + " " +
                             std::to_string(restored.files) + " files, " + std::to_string(restored.dirs) +
                             " directories restored and read back" + (out.passed ? "" : ": " + out.reason));
  out.seconds = elapsed();
  return out;
}

}  // namespace lifeboat
