#include "engine/restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "base/bytes.h"
#include "base/thread_pool.h"
#include "crypto/crypto.h"
#include "engine/pathmatch.h"
#include "repo/fingerprint.h"
#include "repo/tree.h"
#include "source/fs_node.h"

namespace lifeboat {
namespace {

struct FileJob {
  std::string path;
  Node node;
};

struct DirJob {
  std::string path;
  Node node;
};

bool AllZero(std::string_view data) {
  for (char c : data) {
    if (c != 0) return false;
  }
  return true;
}

Status WriteAt(int fd, std::string_view data, off_t offset, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(fd, data.data() + done, data.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write " + path, errno);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

class Restorer {
 public:
  Restorer(Repository& repo, const RestoreOptions& options, ProgressCounters* progress,
           WarningSink* warnings)
      : repo_(repo), options_(options), progress_(progress), warnings_(warnings) {
    for (const auto& p : options.includes) includes_.emplace_back(p);
    for (const auto& p : options.excludes) excludes_.emplace_back(p);
  }

  Status Plan(const Id& tree, const std::string& snap_path, const std::string& dest);
  Status Run(RestoreSummary* summary);

 private:
  void Warn(const std::string& m) {
    errors_++;
    if (progress_) progress_->errors++;
    if (warnings_) warnings_->Warn(m);
  }
  // What one pack must deliver: each needed blob and its (file, offset) places.
  struct PackPlan {
    struct Blob {
      PackedBlob blob;
      std::vector<std::pair<size_t, uint64_t>> targets;
    };
    std::vector<Blob> blobs;
    std::unordered_map<Id, size_t, IdHash> index;
  };
  struct FileState;

  bool Selected(const std::string& snap_path, bool is_dir, bool* descend) const;
  Status RestoreFiles();
  void RestorePack(const Id& pack, PackPlan& plan);
  void Deliver(const PackPlan::Blob& blob, std::string_view data, const Status& error);
  Status OpenForWrite(const FileJob& job, FileState& f);
  void CloseFd(FileState& f);
  void Complete(size_t index, FileState& f);
  Status VerifyFile(const FileJob& job);

  Repository& repo_;
  const RestoreOptions& options_;
  ProgressCounters* progress_;
  WarningSink* warnings_;
  std::vector<PathPattern> includes_, excludes_;
  std::vector<FileJob> files_;
  std::vector<FileJob> unique_;  // files_ without later names of hard links
  std::vector<std::unique_ptr<FileState>> states_;  // by index in unique_
  std::atomic<int> open_files_{0};
  std::vector<DirJob> dirs_;     // in pre-order; metadata is applied in reverse
  std::vector<FileJob> links_;   // hard links to files restored earlier
  std::vector<FileJob> others_;  // symlinks, fifos, devices
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> verified_{0};
  std::atomic<uint64_t> fingerprint_matched_{0}, fingerprint_missing_{0};
};

bool Restorer::Selected(const std::string& snap_path, bool is_dir, bool* descend) const {
  *descend = is_dir;
  for (const auto& p : excludes_) {
    if (p.Matches(snap_path)) {
      *descend = false;
      return false;
    }
  }
  if (includes_.empty()) return true;
  bool selected = false, may = false;
  for (const auto& p : includes_) {
    if (p.Matches(snap_path)) selected = true;
    if (is_dir && p.ChildMayMatch(snap_path)) may = true;
  }
  *descend = is_dir && (selected || may);
  // A directory on the way to an included path is created too.
  return selected || (is_dir && may);
}

Status Restorer::Plan(const Id& tree_id, const std::string& snap_path, const std::string& dest) {
  auto json = repo_.LoadBlob(BlobType::kTree, tree_id);
  if (!json.ok()) {
    Warn("cannot restore " + (snap_path.empty() ? "/" : snap_path) + ": " + json.status().message());
    return Status::Ok();
  }
  LB_ASSIGN_OR_RETURN(Tree tree, DecodeTree(*json));
  for (Node& n : tree.nodes) {
    if (n.name == "." || n.name == ".." || n.name.find('/') != std::string::npos) {
      return Corrupt("tree " + tree_id.Short() + " holds an unsafe name \"" + n.name + "\"");
    }
    std::string child_snap = snap_path + "/" + n.name;
    std::string child_dest = dest + "/" + n.name;
    bool descend = false;
    if (!Selected(child_snap, n.type == "dir", &descend)) continue;
    if (n.type == "dir") {
      dirs_.push_back(DirJob{child_dest, n});
      if (descend && n.subtree) LB_RETURN_IF_ERROR(Plan(*n.subtree, child_snap, child_dest));
    } else if (n.type == "file") {
      if (options_.file_filter && !options_.file_filter(child_snap)) continue;
      files_.push_back(FileJob{child_dest, std::move(n)});
    } else {
      others_.push_back(FileJob{child_dest, std::move(n)});
    }
  }
  return Status::Ok();
}

// One file being written: created on its first blob, completed (truncated
// to size, renamed into place, metadata applied) when its last blob lands.
struct Restorer::FileState {
  std::mutex mu;
  std::string tmp;
  int fd = -1;
  size_t remaining = 0;  // blob writes still to come
  Status failure;
};

Status Restorer::OpenForWrite(const FileJob& job, FileState& f) {
  if (f.fd >= 0) return Status::Ok();
  if (f.tmp.empty()) {
    // A short temporary name beside the target (the target's own name may
    // already be as long as a name can be).
    f.tmp = job.path.substr(0, job.path.rfind('/') + 1) + ".lifeboat-" + HexEncode(RandomBytes(8)) +
            ".partial";
    f.fd = open(f.tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  } else {
    f.fd = open(f.tmp.c_str(), O_WRONLY | O_CLOEXEC);
  }
  if (f.fd < 0) return ErrnoStatus("create " + f.tmp, errno);
  open_files_++;
  return Status::Ok();
}

void Restorer::CloseFd(FileState& f) {
  if (f.fd >= 0) {
    close(f.fd);
    f.fd = -1;
    open_files_--;
  }
}

// REQUIRES: f.mu held and f.remaining == 0.
void Restorer::Complete(size_t index, FileState& f) {
  const FileJob& job = unique_[index];
  Status st = f.failure;
  if (st.ok()) st = OpenForWrite(job, f);
  if (st.ok() && ftruncate(f.fd, static_cast<off_t>(job.node.size)) != 0) {
    st = ErrnoStatus("truncate " + job.path, errno);
  }
  if (f.fd >= 0 && close(f.fd) != 0 && st.ok()) st = ErrnoStatus("close " + job.path, errno);
  if (f.fd >= 0) open_files_--;
  f.fd = -1;
  if (st.ok() && rename(f.tmp.c_str(), job.path.c_str()) != 0) st = ErrnoStatus("rename into " + job.path, errno);
  if (!st.ok()) {
    if (!f.tmp.empty()) unlink(f.tmp.c_str());
    Warn("cannot restore " + job.path + ": " + st.message());
    return;
  }
  st = ApplyMetadata(job.path, job.node);
  if (st.ok() && options_.verify) st = VerifyFile(job);
  if (!st.ok()) {
    Warn("cannot restore " + job.path + ": " + st.message());
    return;
  }
  if (progress_) progress_->files_done++;
}

void Restorer::Deliver(const PackPlan::Blob& blob, std::string_view data, const Status& error) {
  bool zero = options_.sparse && error.ok() && AllZero(data);
  for (const auto& [index, offset] : blob.targets) {
    FileState& f = *states_[index];
    std::lock_guard<std::mutex> lock(f.mu);
    if (f.failure.ok() && !error.ok()) f.failure = error;
    if (f.failure.ok() && !zero) {
      f.failure = OpenForWrite(unique_[index], f);
      if (f.failure.ok()) f.failure = WriteAt(f.fd, data, static_cast<off_t>(offset), unique_[index].path);
      // Keep few files open: large files come back for more blobs later.
      if (open_files_ > 256) CloseFd(f);
    }
    if (error.ok()) {
      bytes_ += data.size();
      if (progress_) progress_->bytes_done += data.size();
    }
    if (--f.remaining == 0) Complete(index, f);
  }
}

void Restorer::RestorePack(const Id& pack, PackPlan& plan) {
  std::sort(plan.blobs.begin(), plan.blobs.end(),
            [](const PackPlan::Blob& a, const PackPlan::Blob& b) { return a.blob.offset < b.blob.offset; });
  uint64_t start = plan.blobs.front().blob.offset;
  uint64_t end = 0;
  for (const auto& b : plan.blobs) end = std::max<uint64_t>(end, uint64_t(b.blob.offset) + b.blob.length);
  // One read per pack: from the first needed blob to the end of the last.
  auto range = repo_.storage().Load(FileType::kPack, pack.Hex(), start, end - start);
  for (const auto& b : plan.blobs) {
    if (!range.ok()) {
      Deliver(b, {}, range.status().WithContext("pack " + pack.Hex()));
      continue;
    }
    std::string_view sealed = std::string_view(*range).substr(b.blob.offset - start, b.blob.length);
    auto plain = OpenBlob(repo_.key(), b.blob, sealed);
    if (!plain.ok()) {
      Deliver(b, {}, plain.status().WithContext("blob " + b.blob.id.Short() + " in pack " + pack.Hex()));
      continue;
    }
    Deliver(b, *plain, Status::Ok());
  }
}

Status Restorer::RestoreFiles() {
  // Plan: for each pack, the blobs needed from it and where each one goes.
  std::map<Id, PackPlan> packs;
  std::vector<Id> pack_order;
  std::vector<size_t> empty_files;
  states_.resize(unique_.size());
  for (size_t i = 0; i < unique_.size(); ++i) {
    states_[i] = std::make_unique<FileState>();
    const FileJob& job = unique_[i];
    uint64_t offset = 0;
    bool missing = false;
    std::vector<std::pair<BlobLocation, uint64_t>> places;
    for (const Id& id : job.node.content) {
      auto loc = repo_.index().Lookup(BlobType::kData, id);
      if (!loc) {
        Warn("cannot restore " + job.path + ": data blob " + id.Hex() + " is not in the index");
        missing = true;
        break;
      }
      places.emplace_back(*loc, offset);
      offset += loc->blob.compressed() ? loc->blob.uncompressed_length : loc->blob.length - kCryptoOverhead;
    }
    if (missing) continue;
    if (offset != job.node.size) {
      Warn("cannot restore " + job.path + ": its blobs hold " + std::to_string(offset) +
           " bytes, the snapshot says " + std::to_string(job.node.size));
      continue;
    }
    states_[i]->remaining = places.size();
    if (places.empty()) empty_files.push_back(i);
    for (const auto& [loc, off] : places) {
      auto [it, inserted] = packs.try_emplace(loc.pack);
      if (inserted) pack_order.push_back(loc.pack);
      PackPlan& plan = it->second;
      auto [bit, new_blob] = plan.index.try_emplace(loc.blob.id, plan.blobs.size());
      if (new_blob) plan.blobs.push_back(PackPlan::Blob{loc.blob, {}});
      plan.blobs[bit->second].targets.emplace_back(i, off);
    }
  }
  for (size_t i : empty_files) {
    std::lock_guard<std::mutex> lock(states_[i]->mu);
    Complete(i, *states_[i]);
  }
  ThreadPool pool(options_.threads ? options_.threads : ThreadPool::DefaultThreads());
  std::vector<std::future<void>> done;
  for (const Id& pack : pack_order) {
    done.push_back(pool.Submit([this, pack, plan = &packs[pack]] { RestorePack(pack, *plan); }));
  }
  for (auto& f : done) f.get();
  return Status::Ok();
}

Status Restorer::VerifyFile(const FileJob& job) {
  int fd = open(job.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("verify: open " + job.path, errno);
  const bool fingerprint = options_.check_fingerprints && !job.node.fingerprint.empty();
  std::optional<Fingerprinter> digest;
  if (fingerprint) digest.emplace();
  off_t offset = 0;
  Status st;
  std::string buf;
  for (const Id& id : job.node.content) {
    auto loc = repo_.index().Lookup(BlobType::kData, id);
    if (!loc) {
      st = NotFound("verify " + job.path + ": blob " + id.Short() + " not in index");
      break;
    }
    size_t len = loc->blob.compressed() ? loc->blob.uncompressed_length
                                        : loc->blob.length - kCryptoOverhead;
    buf.resize(len);
    ssize_t n = pread(fd, buf.data(), len, offset);
    if (n != static_cast<ssize_t>(len) || Id::Hash(buf) != id) {
      st = Corrupt("verify: " + job.path + " differs from the snapshot at offset " +
                   std::to_string(offset));
      break;
    }
    if (digest) digest->Update(buf.data(), len);
    offset += static_cast<off_t>(len);
  }
  close(fd);
  if (st.ok() && digest && digest->Hex() != job.node.fingerprint) {
    st = Corrupt("verify: " + job.path + ": content differs from the fingerprint taken at backup");
  }
  if (!st.ok()) return st;
  verified_++;
  if (options_.check_fingerprints) ++(fingerprint ? fingerprint_matched_ : fingerprint_missing_);
  return st;
}

Status Restorer::Run(RestoreSummary* summary) {
  // Packs in an archive tier are restored by the store first, or the
  // restore stops here, before anything is written, saying how; not
  // failed one file at a time.
  {
    std::set<Id> packs;
    for (const FileJob& f : files_) {
      for (const Id& id : f.node.content) {
        if (auto loc = repo_.index().Lookup(BlobType::kData, id)) packs.insert(loc->pack);
      }
    }
    std::vector<std::string> names;
    for (const Id& pack : packs) names.push_back(pack.Hex());
    LB_RETURN_IF_ERROR(repo_.storage().PrepareRead(FileType::kPack, names));
  }
  // Directories first (owner-only until their metadata is applied at the end).
  for (const DirJob& d : dirs_) {
    if (mkdir(d.path.c_str(), 0700) != 0 && errno != EEXIST) {
      Warn(ErrnoStatus("create directory " + d.path, errno).message());
    }
  }
  if (progress_) {
    uint64_t total = 0;
    for (const auto& f : files_) total += f.node.size;
    progress_->files_total = files_.size();
    progress_->bytes_total = total;
    progress_->totals_final = true;
  }
  // Hard links: the first name of an inode gets the content, later ones link to it.
  std::map<std::pair<uint64_t, uint64_t>, std::string> first_name;
  for (FileJob& f : files_) {
    if (f.node.links > 1 && f.node.inode != 0) {
      auto key = std::make_pair(f.node.device_id, f.node.inode);
      auto [it, inserted] = first_name.try_emplace(key, f.path);
      if (!inserted) {
        links_.push_back(FileJob{f.path, f.node});
        links_.back().node.name = it->second;  // link source
        continue;
      }
    }
    unique_.push_back(std::move(f));
  }
  LB_RETURN_IF_ERROR(RestoreFiles());
  for (const FileJob& l : links_) {
    unlink(l.path.c_str());
    if (link(l.node.name.c_str(), l.path.c_str()) != 0) {
      Warn(ErrnoStatus("hard link " + l.path, errno).message());
    }
  }
  for (const FileJob& o : others_) {
    Status s = CreateSpecialFile(o.path, o.node);
    if (s.ok() && o.node.type != "socket") s = ApplyMetadata(o.path, o.node);
    if (!s.ok()) Warn(s.message());
  }
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    Status s = ApplyMetadata(it->path, it->node);
    if (!s.ok()) Warn(s.message());
  }
  summary->files = unique_.size() + links_.size();
  summary->dirs = dirs_.size();
  summary->others = others_.size();
  summary->bytes = bytes_;
  summary->errors = errors_;
  summary->verified_files = verified_;
  summary->fingerprint_matched = fingerprint_matched_;
  summary->fingerprint_missing = fingerprint_missing_;
  return Status::Ok();
}

}  // namespace

Result<RestoreSummary> RunRestore(Repository& repo, const Snapshot& snapshot,
                                  const RestoreOptions& options, ProgressCounters* progress,
                                  WarningSink* warnings) {
  auto start = std::chrono::steady_clock::now();
  if (options.target.empty()) return InvalidArgument("restore needs --target DIR");
  if (mkdir(options.target.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus("create target " + options.target, errno);
  }
  Restorer restorer(repo, options, progress, warnings);
  LB_RETURN_IF_ERROR(restorer.Plan(snapshot.tree, "", options.target));
  RestoreSummary summary;
  LB_RETURN_IF_ERROR(restorer.Run(&summary));
  summary.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace lifeboat
