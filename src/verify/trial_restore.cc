#include "verify/trial_restore.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>

#include "base/bytes.h"
#include "engine/restore.h"
#include "engine/snapshot_reader.h"

namespace lifeboat {
namespace {

// The restored tree against the fingerprints the backup took (tree.h):
// every file's bytes (XXH3-128), size, permissions, owner and mtime, every
// directory and symlink in its place.
struct FingerprintCheck {
  uint64_t matched = 0;  // files whose restored bytes match their fingerprint
  uint64_t missing = 0;  // files backed up without one
  uint64_t differ = 0;
  std::string first;  // the first difference, in one line
};

Result<std::string> DigestFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
  XXH3_128bits_reset(state.get());
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = ErrnoStatus("read " + path, errno);
      close(fd);
      return s;
    }
    if (n == 0) break;
    XXH3_128bits_update(state.get(), buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state.get()));
  return HexEncode(std::string_view(reinterpret_cast<const char*>(canonical.digest), 16));
}

Result<FingerprintCheck> CompareWithFingerprints(Repository& repo, const Snapshot& snap,
                                                 const std::string& root) {
  FingerprintCheck out;
  RepoSnapshotReader reader(repo, snap);
  auto differ = [&](const std::string& path, const std::string& what) {
    if (out.differ++ == 0) out.first = path + ": " + what;
  };
  Status walked = reader.Walk("/", [&](const std::string& path, const Node& node) {
    const std::string disk = root + path;
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
    if (node.fingerprint.empty()) return ++out.missing, true;
    auto digest = DigestFile(disk);
    if (!digest.ok()) return differ(path, digest.status().message()), true;
    if (*digest != node.fingerprint)
      return differ(path, "content differs from the fingerprint taken at backup"), true;
    ++out.matched;
    return true;
  });
  LB_RETURN_IF_ERROR(walked);
  return out;
}

// Restores a file snapshot into a scratch directory under `base` ($TMPDIR
// if empty) with --verify (every file read back and compared with the
// snapshot), compares it with the backup's fingerprints, then removes it.
Result<RestoreSummary> RestoreFilesToScratch(Repository& repo, const Snapshot& snap, const std::string& base,
                                             ProgressCounters* progress, WarningSink* warnings,
                                             FingerprintCheck* fingerprints) {
  std::string tmpl =
      (base.empty() ? std::filesystem::temp_directory_path().string() : base) + "/lifeboat-verify-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("scratch directory " + tmpl, errno);
  RestoreOptions opts;
  opts.target = tmpl;
  opts.verify = true;
  Result<RestoreSummary> summary = RunRestore(repo, snap, opts, progress, warnings);
  if (summary.ok()) {
    auto compared = CompareWithFingerprints(repo, snap, tmpl);
    if (compared.ok()) {
      *fingerprints = std::move(*compared);
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
  FingerprintCheck fp;
  LB_ASSIGN_OR_RETURN(
      RestoreSummary restored,
      RestoreFilesToScratch(repo, snapshot, options.Get("scratch-dir", options.Get("scratch_dir")), progress,
                            &first, &fp));
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

}  // namespace lifeboat
