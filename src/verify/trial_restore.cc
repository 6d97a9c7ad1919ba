#include "verify/trial_restore.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

#include "base/bytes.h"
#include "engine/restore.h"
#include "engine/snapshot_reader.h"
#include "env/clock.h"
#include "env/env.h"
#include "verify/results.h"

namespace lifeboat {
namespace {

// The restored tree against the fingerprints the backup took (tree.h):
// every file's bytes (XXH3-128, compared by the restore as it reads them
// back), size, permissions, owner and mtime, every directory and symlink in
// its place.
struct FingerprintCheck {
  uint64_t matched = 0;  // files whose restored bytes match their fingerprint
  uint64_t missing = 0;  // files backed up without one
  uint64_t differ = 0;
  std::string first;  // the first difference, in one line
};

// The restore's verify pass compared every file's bytes with its
// fingerprint as it read them back (RestoreOptions::check_fingerprints);
// this walk checks the rest: metadata, and that nothing is missing.
Result<FingerprintCheck> CompareWithFingerprints(Repository& repo, const Snapshot& snap,
                                                 const std::string& root,
                                                 const std::function<bool(const std::string&)>& selected) {
  FingerprintCheck out;
  RepoSnapshotReader reader(repo, snap);
  auto differ = [&](const std::string& path, const std::string& what) {
    if (out.differ++ == 0) out.first = path + ": " + what;
  };
  Status walked = reader.Walk("/", [&](const std::string& path, const Node& node) {
    const std::string disk = root + path;
    if (node.type == "file" && selected && !selected(path)) return true;  // not in the sample
    struct stat st;
    if (lstat(disk.c_str(), &st) != 0) {
      differ(path, "not restored (" + std::string(std::strerror(errno)) + ")");
      return false;
    }
    if (node.type == "dir") {
      if (!S_ISDIR(st.st_mode)) differ(path, "is not a directory after the restore");
      return true;
    }
    if (node.type == "symlink") {
      char target[4096];
      ssize_t n = readlink(disk.c_str(), target, sizeof target);
      if (n < 0 || std::string(target, static_cast<size_t>(n)) != node.link_target) {
        differ(path, "symlink target differs");
      }
      return true;
    }
    if (node.type != "file") return true;
    if (!S_ISREG(st.st_mode)) return differ(path, "is not a regular file after the restore"), true;
    if (static_cast<uint64_t>(st.st_size) != node.size) {
      return differ(path, std::to_string(st.st_size) + " bytes, " + std::to_string(node.size) + " at backup"),
             true;
    }
    if ((st.st_mode & 0777) != (node.mode & 0777))
      return differ(path, "permissions differ from the backup's"), true;
    if (geteuid() == 0 && (st.st_uid != node.uid || st.st_gid != node.gid)) {
      return differ(path, "owner differs from the backup's"), true;
    }
    if (st.st_mtim.tv_sec != node.mtime.sec || st.st_mtim.tv_nsec != node.mtime.nsec) {
      return differ(path, "mtime differs from the backup's"), true;
    }
    return true;
  });
  LB_RETURN_IF_ERROR(walked);
  return out;
}

// Restores a file snapshot into a scratch directory under `base` ($TMPDIR
// if empty) with --verify (every file read back and compared with the
// snapshot), compares it with the backup's fingerprints, then removes it.
Result<RestoreSummary> RestoreFilesToScratch(Repository& repo, const Snapshot& snap, const std::string& base,
                                             const std::function<bool(const std::string&)>& selected,
                                             ProgressCounters* progress, WarningSink* warnings,
                                             FingerprintCheck* fingerprints) {
  std::string tmpl =
      (base.empty() ? std::filesystem::temp_directory_path().string() : base) + "/lifeboat-verify-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("scratch directory " + tmpl, errno);
  RestoreOptions opts;
  opts.target = tmpl;
  opts.verify = true;
  opts.check_fingerprints = true;
  opts.file_filter = selected;
  Result<RestoreSummary> summary = RunRestore(repo, snap, opts, progress, warnings);
  if (summary.ok()) {
    auto compared = CompareWithFingerprints(repo, snap, tmpl, selected);
    if (compared.ok()) {
      *fingerprints = std::move(*compared);
      fingerprints->matched = summary->fingerprint_matched;
      fingerprints->missing = summary->fingerprint_missing;
    } else {
      summary = compared.status();
    }
  }
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

// --sample N%: the files fall into ceil(100/N) groups by a hash of their
// path; each run restores one group, the one after the group the source's
// last sampled run covered (its result in the repository), so that
// successive runs cover every file. 0: no --sample.
Result<uint32_t> SampleGroups(const OptionView& options) {
  if (!options.Has("sample")) return 0u;
  std::string v = options.Get("sample");
  std::string digits = v.ends_with('%') ? v.substr(0, v.size() - 1) : v;
  char* end = nullptr;
  long n = digits.empty() ? 0 : std::strtol(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || n < 1 || n > 100) {
    return InvalidArgument("--sample " + v + ": not a percentage from 1% to 100%");
  }
  return static_cast<uint32_t>((100 + n - 1) / n);
}

uint32_t GroupOf(const std::string& path, uint32_t groups) {
  const std::string hex = Id::Hash(path).Hex();
  return static_cast<uint32_t>(std::stoul(hex.substr(0, 8), nullptr, 16) % groups);
}

uint32_t NextGroup(const std::vector<RunResult>& results, const std::string& source, uint32_t groups) {
  for (auto it = results.rbegin(); it != results.rend(); ++it) {
    if (it->kind == "verify" && it->source == source && it->sample_groups == groups) {
      return (it->sample_group + 1) % groups;
    }
  }
  return 0;
}

}  // namespace

std::string FirstFailure(const Report& report) {
  for (const std::string& line : report.lines) {
    if (line.rfind("FAIL ", 0) == 0) return line.substr(5);
  }
  return "";
}

namespace {

Result<RestoreTestResult> RunTest(Repository& repo, const Snapshot& snapshot, const OptionView& options,
                                  uint32_t groups, const std::vector<RunResult>& results,
                                  ProgressCounters* progress, WarningSink* warnings) {
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
    if (groups > 0) {
      out.report.lines.push_back("NOTE --sample applies to file snapshots: a database is restored whole");
    }
    out.seconds = elapsed();
    return out;
  }
  out.kind = "files";
  std::function<bool(const std::string&)> selected;
  if (groups > 0) {
    out.sample_groups = groups;
    out.sample_group = NextGroup(results, SourceKey(out.kind, snapshot), groups);
    selected = [groups, group = out.sample_group](const std::string& path) {
      return GroupOf(path, groups) == group;
    };
  }
  FirstWarning first(warnings);
  FingerprintCheck fp;
  LB_ASSIGN_OR_RETURN(
      RestoreSummary restored,
      RestoreFilesToScratch(repo, snapshot, options.Get("scratch-dir", options.Get("scratch_dir")), selected,
                            progress, &first, &fp));
  out.bytes = restored.bytes;
  out.files = restored.files;
  out.passed = restored.errors == 0 && fp.differ == 0;
  if (restored.errors > 0) {
    out.reason =
        std::to_string(restored.errors) + " item(s) could not be restored or differ from the snapshot";
    if (!first.first().empty()) out.reason += "; the first: " + first.first();
  } else if (fp.differ > 0) {
    out.reason =
        std::to_string(fp.differ) + " item(s) differ from the backup's fingerprints; the first: " + fp.first;
  } else if (fp.matched == 0 && fp.missing > 0) {
    // Taken before lifeboat recorded fingerprints, or by restic: restored
    // and read back against the snapshot, but not proven against the source.
    out.passed = false;
    out.reason = "no fingerprint: none of the " + std::to_string(fp.missing) +
                 " files was fingerprinted at backup (restic, or an older lifeboat); restored and read back";
  }
  out.report.lines.push_back(std::string(out.passed ? "PASS" : "FAIL") + " " +
                             std::to_string(restored.files) + " files, " + std::to_string(restored.dirs) +
                             " directories restored and read back" + (out.passed ? "" : ": " + out.reason));
  if (fp.matched > 0 || fp.differ > 0) {
    out.report.lines.push_back(std::string(fp.differ == 0 ? "PASS" : "FAIL") + " " +
                               std::to_string(fp.matched) + " files match the fingerprints taken at backup" +
                               (fp.missing ? " (" + std::to_string(fp.missing) + " without one)" : ""));
  }
  out.seconds = elapsed();
  return out;
}

}  // namespace

Result<RestoreTestResult> RunRestoreTest(Repository& repo, const Snapshot& snapshot,
                                         const OptionView& options, ProgressCounters* progress,
                                         WarningSink* warnings, const std::string& job) {
  LB_ASSIGN_OR_RETURN(uint32_t groups, SampleGroups(options));
  std::vector<RunResult> results;
  if (groups > 0) {
    LB_ASSIGN_OR_RETURN(results, LoadResults(repo, warnings));
  }
  LB_ASSIGN_OR_RETURN(RestoreTestResult out,
                      RunTest(repo, snapshot, options, groups, results, progress, warnings));
  if (out.sample_groups > 0) {
    out.report.lines.push_back("NOTE sample: part " + std::to_string(out.sample_group + 1) + " of " +
                               std::to_string(out.sample_groups) + " of the files (" +
                               std::to_string(out.files) + " restored); the next run takes part " +
                               std::to_string((out.sample_group + 1) % out.sample_groups + 1));
  }
  if (options.Has("no-record")) return out;
  RunResult r;
  r.kind = "verify";
  r.time = Clock::System()->Now();
  r.host = HostName();
  r.passed = out.passed;
  r.reason = out.reason;
  r.seconds = out.seconds;
  r.snapshot = snapshot.id.Hex();
  r.source = SourceKey(out.kind, snapshot);
  r.test = out.kind;
  r.job = job;
  r.bytes = out.bytes;
  r.files = out.files;
  r.sample_group = out.sample_group;
  r.sample_groups = out.sample_groups;
  auto saved = SaveResult(repo, r);
  if (!saved.ok() && warnings != nullptr) {
    warnings->Warn("the restore test's result was not recorded in the repository: " +
                   saved.status().message());
  }
  return out;
}

}  // namespace lifeboat
