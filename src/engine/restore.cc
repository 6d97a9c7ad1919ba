#include "engine/restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <future>
#include <map>

#include "base/bytes.h"
#include "base/thread_pool.h"
#include "crypto/crypto.h"
#include "engine/pathmatch.h"
#include "repo/tree.h"
#include "source/fs/fs_node.h"

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
  bool Selected(const std::string& snap_path, bool is_dir, bool* descend) const;
  Status RestoreFile(const FileJob& job);
  Status VerifyFile(const FileJob& job);

  Repository& repo_;
  const RestoreOptions& options_;
  ProgressCounters* progress_;
  WarningSink* warnings_;
  std::vector<PathPattern> includes_, excludes_;
  std::vector<FileJob> files_;
  std::vector<DirJob> dirs_;     // in pre-order; metadata is applied in reverse
  std::vector<FileJob> links_;   // hard links to files restored earlier
  std::vector<FileJob> others_;  // symlinks, fifos, devices
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> verified_{0};
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
      files_.push_back(FileJob{child_dest, std::move(n)});
    } else {
      others_.push_back(FileJob{child_dest, std::move(n)});
    }
  }
  return Status::Ok();
}

Status Restorer::RestoreFile(const FileJob& job) {
  const Node& node = job.node;
  if (progress_) progress_->SetCurrent(job.path);
  // A short temporary name beside the target (the target's own name may
  // already be as long as a name can be).
  std::string tmp = job.path.substr(0, job.path.rfind('/') + 1) + ".lifeboat-" +
                    HexEncode(RandomBytes(8)) + ".partial";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("create " + tmp, errno);
  off_t offset = 0;
  Status st;
  std::string last_zero_id;
  for (const Id& id : node.content) {
    auto blob = repo_.LoadBlob(BlobType::kData, id);
    if (!blob.ok()) {
      st = blob.status();
      break;
    }
    if (options_.sparse && AllZero(*blob)) {
      offset += static_cast<off_t>(blob->size());
    } else {
      st = WriteAt(fd, *blob, offset, job.path);
      if (!st.ok()) break;
      offset += static_cast<off_t>(blob->size());
    }
    bytes_ += blob->size();
    if (progress_) progress_->bytes_done += blob->size();
  }
  if (st.ok() && ftruncate(fd, offset) != 0) st = ErrnoStatus("truncate " + job.path, errno);
  if (st.ok() && static_cast<uint64_t>(offset) != node.size) {
    st = Corrupt(job.path + ": restored " + std::to_string(offset) + " bytes, snapshot says " +
                 std::to_string(node.size));
  }
  if (close(fd) != 0 && st.ok()) st = ErrnoStatus("close " + job.path, errno);
  if (st.ok() && rename(tmp.c_str(), job.path.c_str()) != 0) {
    st = ErrnoStatus("rename into " + job.path, errno);
  }
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  if (progress_) progress_->files_done++;
  return ApplyMetadata(job.path, node);
}

Status Restorer::VerifyFile(const FileJob& job) {
  int fd = open(job.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("verify: open " + job.path, errno);
  off_t offset = 0;
  Status st;
  for (const Id& id : job.node.content) {
    auto loc = repo_.index().Lookup(BlobType::kData, id);
    if (!loc) {
      st = NotFound("verify " + job.path + ": blob " + id.Short() + " not in index");
      break;
    }
    size_t len = loc->blob.compressed() ? loc->blob.uncompressed_length
                                        : loc->blob.length - kCryptoOverhead;
    std::string buf(len, '\0');
    ssize_t n = pread(fd, buf.data(), len, offset);
    if (n != static_cast<ssize_t>(len) || Id::Hash(buf) != id) {
      st = Corrupt("verify: " + job.path + " differs from the snapshot at offset " +
                   std::to_string(offset));
      break;
    }
    offset += static_cast<off_t>(len);
  }
  close(fd);
  if (st.ok()) verified_++;
  return st;
}

Status Restorer::Run(RestoreSummary* summary) {
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
  std::vector<FileJob> unique;
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
    unique.push_back(std::move(f));
  }
  {
    ThreadPool pool(options_.threads ? options_.threads : ThreadPool::DefaultThreads());
    std::vector<std::future<Status>> results;
    results.reserve(unique.size());
    for (const FileJob& f : unique) {
      results.push_back(pool.Submit([this, &f] {
        Status s = RestoreFile(f);
        if (s.ok() && options_.verify) s = VerifyFile(f);
        return s;
      }));
    }
    for (size_t i = 0; i < results.size(); ++i) {
      Status s = results[i].get();
      if (!s.ok()) Warn("cannot restore " + unique[i].path + ": " + s.message());
    }
  }
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
  summary->files = unique.size() + links_.size();
  summary->dirs = dirs_.size();
  summary->others = others_.size();
  summary->bytes = bytes_;
  summary->errors = errors_;
  summary->verified_files = verified_;
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
