#include "engine/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <thread>

#include "base/bytes.h"
#include "base/thread_pool.h"
#include "chunker/chunker.h"
#include "engine/pathmatch.h"
#include "engine/select.h"
#include "engine/snapshot_reader.h"
#include "engine/walk.h"
#include "env/env.h"
#include "repo/fingerprint.h"
#include "repo/tree.h"
#include "source/fs_node.h"

namespace lifeboat {
namespace {

// A directory on the way to (or at) a backup target, named as it appears in
// the snapshot's tree.
struct VirtualDir {
  std::map<std::string, VirtualDir> children;
  std::string abs_path;  // path on disk
  bool target = false;   // back up everything below
};

std::string CleanAbsolute(const std::string& path) {
  std::string abs = path;
  if (abs.empty() || abs[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != nullptr) abs = std::string(cwd) + "/" + abs;
  }
  std::vector<std::string> parts;
  for (auto& p : SplitPath(abs)) {
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(std::move(p));
    }
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

// The components under which a target appears in the tree: the absolute path
// for absolute targets, the path as given for relative ones without "..".
std::vector<std::string> TreeComponents(const std::string& given, const std::string& abs) {
  if (!given.empty() && given[0] != '/') {
    auto parts = SplitPath(given);
    if (std::find(parts.begin(), parts.end(), "..") == parts.end()) return parts;
  }
  return SplitPath(abs);
}

struct FileResult {
  Status status;
  Node node;
};

class Archiver {
 public:
  Archiver(Repository& repo, const BackupOptions& options, ProgressCounters* progress,
           WarningSink* warnings)
      : repo_(repo),
        options_(options),
        progress_(progress),
        warnings_(warnings),
        pool_(options.threads ? options.threads : ThreadPool::DefaultThreads()),
        blob_pool_(options.threads ? options.threads : ThreadPool::DefaultThreads()) {
    for (const auto& e : options.excludes) excludes_.emplace_back(e);
  }

  Result<Id> BackupStdin();
  Result<Id> BackupStreams();
  BackupSummary& summary() { return summary_; }
  void set_parent_root(const Id& tree) { parent_root_ = tree; }

 private:
  void Warn(const std::string& message) {
    summary_errors_++;
    if (progress_) progress_->errors++;
    if (warnings_) warnings_->Warn(message);
  }
  bool Excluded(const std::string& abs) const {
    if (!options_.skip_paths.empty() && options_.skip_paths.count(abs)) return true;
    for (const auto& p : excludes_) {
      if (p.Matches(abs)) return true;
    }
    return false;
  }
  Result<Tree> LoadParentTree(const std::optional<Id>& id);
  Result<Id> SaveTree(Tree tree);
  Result<Id> SaveVirtualDir(const VirtualDir& dir, const std::optional<Id>& parent);
  Result<Id> SaveDirectory(const std::string& abs, const std::optional<Id>& parent, dev_t device);
  // Builds the node for one directory entry, or nullopt if it is skipped.
  // Regular files whose content must be read are queued in *pending.
  Result<std::optional<Node>> SaveEntry(const std::string& abs, const std::string& name,
                                        const struct stat& st, const Node* parent_node, dev_t device,
                                        std::vector<std::future<FileResult>>* pending);
  FileResult ReadFile(const std::string& abs, Node node);
  Status ChunkStream(int fd, Node* node, const std::string& what);

  Repository& repo_;
  const BackupOptions& options_;
  ProgressCounters* progress_;
  WarningSink* warnings_;
  ThreadPool pool_;       // reads, chunks and hashes files
  ThreadPool blob_pool_;  // compresses and encrypts chunks of large files
  std::vector<PathPattern> excludes_;
  std::optional<Id> parent_root_;  // root tree of the parent (stream backups)
  BackupSummary summary_;
  std::atomic<uint64_t> summary_errors_{0};
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> files_new_{0}, files_changed_{0};

  friend Result<BackupSummary> lifeboat::RunBackup(Repository&, const BackupOptions&,
                                                   ProgressCounters*, WarningSink*);
};

Result<Tree> Archiver::LoadParentTree(const std::optional<Id>& id) {
  if (!id) return Tree{};
  auto json = repo_.LoadBlob(BlobType::kTree, *id);
  if (!json.ok()) return json.status();
  return DecodeTree(*json);
}

Result<Id> Archiver::SaveTree(Tree tree) {
  std::sort(tree.nodes.begin(), tree.nodes.end(),
            [](const Node& a, const Node& b) { return a.name < b.name; });
  std::string json = EncodeTree(tree);
  Id id = Id::Hash(json);
  LB_RETURN_IF_ERROR(repo_.SaveBlob(BlobType::kTree, id, json).status());
  return id;
}

namespace {

// A chunk's bytes: read straight from the file into a buffer sized for the
// largest chunk, so bytes are copied once (by read) and never regrown.
struct ChunkBuffer {
  std::unique_ptr<char[]> data;
  size_t size = 0;
  ChunkBuffer() : data(new char[kChunkMaxSize + kReadSize]) {}
  std::string_view view() const { return std::string_view(data.get(), size); }
  static constexpr size_t kReadSize = 1 << 20;
};

}  // namespace

Status Archiver::ChunkStream(int fd, Node* node, const std::string& what) {
  // Chunks of a file are hashed here, in order; compressing and encrypting
  // them runs on the blob pool, so one large file keeps two cores busy. At
  // most kInFlight chunks per file wait there (bounding memory).
  constexpr size_t kInFlight = 1;
  Chunker chunker(repo_.config().polynomial);
  auto chunk = std::make_unique<ChunkBuffer>();
  // The fingerprint of the bytes as read (tree.h), for restore tests.
  Fingerprinter digest;
  uint64_t total = 0;
  std::deque<std::future<Status>> in_flight;
  Status failure;
  auto wait_oldest = [&] {
    Status s = in_flight.front().get();
    in_flight.pop_front();
    if (!s.ok() && failure.ok()) failure = s;
  };
  // Emits the first `len` bytes of the buffer as a blob and moves the rest
  // (read already, after the cut) to the front. A blob handed to the pool
  // gets an exact-size copy: a few MiB in flight instead of whole buffers.
  auto emit = [&](size_t len, bool last) -> Status {
    std::string_view bytes(chunk->data.get(), len);
    Id id = Id::Hash(bytes);
    node->content.push_back(id);
    Status s;
    if (repo_.KnowsBlob(BlobType::kData, id)) {
      // Stored already: nothing to do.
    } else if (last && in_flight.empty()) {
      // A file of one chunk (most files): no hand-off.
      s = repo_.SaveBlob(BlobType::kData, id, bytes).status();
    } else {
      if (in_flight.size() >= kInFlight) wait_oldest();
      in_flight.push_back(blob_pool_.Submit([this, id, data = std::string(bytes)] {
        return repo_.SaveBlob(BlobType::kData, id, data).status();
      }));
      s = failure;
    }
    size_t rest = chunk->size - len;
    std::memmove(chunk->data.get(), chunk->data.get() + len, rest);
    chunk->size = rest;
    return s;
  };
  Status st;
  for (;;) {
    size_t start = chunk->size;
    ssize_t n = read(fd, chunk->data.get() + start, ChunkBuffer::kReadSize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = ErrnoStatus("read " + what, errno);
      break;
    }
    if (n == 0) break;
    digest.Update(chunk->data.get() + start, static_cast<size_t>(n));
    chunk->size += static_cast<size_t>(n);
    total += static_cast<uint64_t>(n);
    bytes_read_ += static_cast<uint64_t>(n);
    if (progress_) progress_->bytes_done += static_cast<uint64_t>(n);
    // Scan the new bytes; each cut emits the bytes before it.
    size_t pos = start;
    while (pos < chunk->size && st.ok()) {
      const auto* p = reinterpret_cast<const uint8_t*>(chunk->data.get());
      size_t cut = chunker.NextCut(p + pos, chunk->size - pos);
      if (cut == Chunker::kNoCut) break;
      st = emit(pos + cut, false);
      pos = 0;
    }
    if (!st.ok()) break;
  }
  if (st.ok() && chunk->size > 0) st = emit(chunk->size, true);
  while (!in_flight.empty()) wait_oldest();
  if (st.ok()) st = failure;
  node->size = total;
  node->fingerprint = digest.Hex();
  return st;
}

FileResult Archiver::ReadFile(const std::string& abs, Node node) {
  if (progress_) progress_->SetCurrent(abs);
  int fd = open(abs.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = open(abs.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return FileResult{ErrnoStatus("open " + abs, errno), {}};
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != node.inode) {
    close(fd);
    return FileResult{IoError(abs + ": file was replaced while it was being read"), {}};
  }
  Status s = ChunkStream(fd, &node, abs);
  close(fd);
  if (progress_) progress_->files_done++;
  return FileResult{s, std::move(node)};
}

Result<std::optional<Node>> Archiver::SaveEntry(const std::string& abs, const std::string& name,
                                                const struct stat& st, const Node* parent_node,
                                                dev_t device,
                                                std::vector<std::future<FileResult>>* pending) {
  auto made = NodeFromStat(abs, name, st);
  if (!made.ok()) {
    Warn(made.status().message());
    return std::optional<Node>();
  }
  Node node = std::move(*made);
  if (S_ISDIR(st.st_mode)) {
    std::optional<Id> parent_subtree;
    if (parent_node && parent_node->type == "dir") parent_subtree = parent_node->subtree;
    if (options_.one_file_system && st.st_dev != device) {
      // A mount point: keep the directory itself, not what is mounted there.
      LB_ASSIGN_OR_RETURN(node.subtree, SaveTree(Tree{}));
    } else {
      auto subtree = SaveDirectory(abs, parent_subtree, device);
      if (!subtree.ok()) {
        if (subtree.status().code() == Code::kIoError || subtree.status().code() == Code::kNotFound) {
          Warn(subtree.status().message());
          return std::optional<Node>();
        }
        return subtree.status();
      }
      node.subtree = *subtree;
    }
    if (!parent_node) {
      summary_.dirs_new++;
    } else if (parent_node->subtree == node.subtree) {
      summary_.dirs_unmodified++;
    } else {
      summary_.dirs_changed++;
    }
    return std::optional<Node>(std::move(node));
  }
  if (!S_ISREG(st.st_mode)) return std::optional<Node>(std::move(node));

  summary_.total_files_processed++;
  summary_.total_bytes_processed += static_cast<uint64_t>(st.st_size);
  bool unchanged = !options_.force && parent_node && parent_node->type == "file" &&
                   SameFileMetadata(*parent_node, node);
  if (unchanged) {
    for (const Id& id : parent_node->content) {
      if (!repo_.index().Has(BlobType::kData, id)) {
        unchanged = false;
        break;
      }
    }
  }
  if (unchanged) {
    node.content = parent_node->content;
    node.fingerprint = parent_node->fingerprint;
    summary_.files_unmodified++;
    if (progress_) {
      progress_->files_done++;
      progress_->bytes_done += node.size;
    }
    return std::optional<Node>(std::move(node));
  }
  (parent_node ? files_changed_ : files_new_)++;
  pending->push_back(pool_.Submit([this, abs, n = std::move(node)]() mutable {
    return ReadFile(abs, std::move(n));
  }));
  return std::optional<Node>();
}

Result<Id> Archiver::SaveDirectory(const std::string& abs, const std::optional<Id>& parent,
                                   dev_t device) {
  auto parent_tree = LoadParentTree(parent);
  if (!parent_tree.ok()) {
    // An unreadable parent tree only costs the incremental shortcut.
    parent_tree = Tree{};
  }
  LB_ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirNames(abs));
  Tree tree;
  std::vector<std::future<FileResult>> pending;
  std::string prefix = abs == "/" ? "/" : abs + "/";
  Status failure;
  for (const std::string& name : names) {
    std::string child = prefix + name;
    if (Excluded(child)) continue;
    struct stat st;
    if (lstat(child.c_str(), &st) != 0) {
      Warn(ErrnoStatus("lstat " + child, errno).message());
      continue;
    }
    auto node = SaveEntry(child, name, st, FindNode(*parent_tree, name), device, &pending);
    if (!node.ok()) {
      failure = node.status();
      break;
    }
    if (*node) tree.nodes.push_back(std::move(**node));
  }
  for (auto& f : pending) {
    FileResult r = f.get();
    if (!r.status.ok()) {
      if (r.status.code() == Code::kIoError || r.status.code() == Code::kNotFound) {
        Warn(r.status.message());
        continue;
      }
      if (failure.ok()) failure = r.status;
      continue;
    }
    tree.nodes.push_back(std::move(r.node));
  }
  if (!failure.ok()) return failure;
  return SaveTree(std::move(tree));
}

Result<Id> Archiver::SaveVirtualDir(const VirtualDir& dir, const std::optional<Id>& parent) {
  auto parent_tree = LoadParentTree(parent);
  if (!parent_tree.ok()) parent_tree = Tree{};
  Tree tree;
  std::vector<std::future<FileResult>> pending;
  for (const auto& [name, child] : dir.children) {
    struct stat st;
    if (lstat(child.abs_path.c_str(), &st) != 0) {
      Warn(ErrnoStatus("lstat " + child.abs_path, errno).message());
      continue;
    }
    const Node* parent_node = FindNode(*parent_tree, name);
    if (child.target) {
      LB_ASSIGN_OR_RETURN(auto node, SaveEntry(child.abs_path, name, st, parent_node, st.st_dev, &pending));
      if (node) tree.nodes.push_back(std::move(*node));
      continue;
    }
    auto made = NodeFromStat(child.abs_path, name, st);
    if (!made.ok()) {
      Warn(made.status().message());
      continue;
    }
    std::optional<Id> parent_subtree;
    if (parent_node && parent_node->type == "dir") parent_subtree = parent_node->subtree;
    LB_ASSIGN_OR_RETURN(made->subtree, SaveVirtualDir(child, parent_subtree));
    tree.nodes.push_back(std::move(*made));
  }
  for (auto& f : pending) {
    FileResult r = f.get();
    if (!r.status.ok()) {
      Warn(r.status.message());
      continue;
    }
    tree.nodes.push_back(std::move(r.node));
  }
  return SaveTree(std::move(tree));
}

Result<Id> Archiver::BackupStdin() {
  Node node;
  node.name = options_.stdin_filename;
  node.type = "file";
  node.mode = 0644;
  Timestamp now = Now();
  node.mtime = node.atime = node.ctime = now;
  node.uid = geteuid();
  node.gid = getegid();
  node.user = UserName(node.uid);
  node.group = GroupName(node.gid);
  LB_RETURN_IF_ERROR(ChunkStream(options_.stdin_fd, &node, "standard input"));
  summary_.files_new = 1;
  summary_.total_files_processed = 1;
  summary_.total_bytes_processed = node.size;
  if (progress_) progress_->files_done++;
  Tree tree;
  tree.nodes.push_back(std::move(node));
  return SaveTree(std::move(tree));
}

namespace {

Node SyntheticNode(const std::string& name, const std::string& type, uint32_t perm, Timestamp now) {
  Node node;
  node.name = name;
  node.type = type;
  node.mode = (type == "dir" ? gomode::kDir : 0) | perm;
  node.mtime = node.atime = node.ctime = now;
  node.uid = geteuid();
  node.gid = getegid();
  node.user = UserName(node.uid);
  node.group = GroupName(node.gid);
  return node;
}

// The directories of a stream snapshot, built from the items' paths.
struct StreamDir {
  std::map<std::string, StreamDir> dirs;
  std::vector<Node> files;
};

}  // namespace

Result<Id> Archiver::BackupStreams() {
  Timestamp now = Now();
  StreamDir root;
  auto store = [&](const Item& any) -> Status {
    const std::string& path = ItemPath(any);
    if (std::holds_alternative<HostFilesItem>(any)) {
      return InvalidArgument("host files cannot be stored beside other items");
    }
    std::vector<std::string> parts = SplitPath(path);
    if (parts.empty()) return InvalidArgument("an item without a name");
    StreamDir* dir = &root;
    for (size_t i = 0; i + 1 < parts.size(); ++i) dir = &dir->dirs[parts[i]];
    if (const auto* stored = std::get_if<StoredFileItem>(&any)) {
      Node node = stored->node;
      node.name = parts.back();
      for (const Id& id : node.content) {
        if (!repo_.KnowsBlob(BlobType::kData, id)) {
          return Corrupt(path + ": data blob " + id.Short() + " is not in the repository");
        }
      }
      dir->files.push_back(std::move(node));
      return Status::Ok();
    }
    if (const auto* item = std::get_if<DirectoryItem>(&any)) {
      if (item->before) LB_RETURN_IF_ERROR(item->before());
      struct stat st;
      if (lstat(item->dir.c_str(), &st) != 0) return ErrnoStatus("backup " + item->dir, errno);
      if (!S_ISDIR(st.st_mode)) return InvalidArgument(item->dir + " is not a directory");
      LB_ASSIGN_OR_RETURN(Node node, NodeFromStat(item->dir, parts.back(), st));
      std::optional<Id> parent_subtree;
      if (parent_root_) {
        auto p = FindPath(repo_, *parent_root_, "/" + path);
        if (p.ok() && p->type == "dir") parent_subtree = p->subtree;
      }
      LB_ASSIGN_OR_RETURN(node.subtree, SaveDirectory(item->dir, parent_subtree, st.st_dev));
      (parent_subtree ? summary_.dirs_changed : summary_.dirs_new)++;
      dir->files.push_back(std::move(node));
      return Status::Ok();
    }
    const StreamItem& item = std::get<StreamItem>(any);
    Node node = SyntheticNode(parts.back(), "file", item.mode, now);
    if (progress_) progress_->SetCurrent(path);
    Result<int> opened = item.open();
    if (!opened.ok() && item.optional && opened.status().code() == Code::kNotFound) return Status::Ok();
    LB_ASSIGN_OR_RETURN(int fd, std::move(opened));
    Status read = ChunkStream(fd, &node, path);
    close(fd);
    Status done = item.finish ? item.finish() : Status::Ok();
    LB_RETURN_IF_ERROR(done.ok() ? read : done);
    summary_.files_new++;
    summary_.total_files_processed++;
    summary_.total_bytes_processed += node.size;
    if (progress_) progress_->files_done++;
    dir->files.push_back(std::move(node));
    return Status::Ok();
  };
  for (const Item& item : options_.streams) LB_RETURN_IF_ERROR(store(item));
  if (options_.closing) {
    LB_ASSIGN_OR_RETURN(std::vector<Item> last, options_.closing());
    for (const Item& item : last) LB_RETURN_IF_ERROR(store(item));
  }
  std::function<Result<Id>(StreamDir&)> save = [&](StreamDir& dir) -> Result<Id> {
    Tree tree;
    for (auto& [name, sub] : dir.dirs) {
      Node node = SyntheticNode(name, "dir", 0700, now);
      LB_ASSIGN_OR_RETURN(node.subtree, save(sub));
      summary_.dirs_new++;
      tree.nodes.push_back(std::move(node));
    }
    for (auto& f : dir.files) tree.nodes.push_back(std::move(f));
    return SaveTree(std::move(tree));
  };
  return save(root);
}

// Finds the parent: the newest snapshot of the same host with the same paths.
std::optional<Snapshot> FindParent(Repository& repo, const std::string& host,
                                   const std::vector<std::string>& paths) {
  auto all = repo.LoadAllSnapshots();
  if (!all.ok()) return std::nullopt;
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    std::vector<std::string> p = it->paths;
    std::sort(p.begin(), p.end());
    if (it->hostname == host && p == paths) return *it;
  }
  return std::nullopt;
}

// The parent: the one asked for, or (unless --force) the newest snapshot of
// the same host and paths.
Result<std::optional<Snapshot>> ChooseParent(Repository& repo, const BackupOptions& options, const Snapshot& snap) {
  if (options.parent) {
    auto p = repo.LoadSnapshot(*options.parent);
    if (!p.ok()) return p.status().WithContext("parent snapshot");
    return std::optional<Snapshot>(*p);
  }
  if (options.force) return std::optional<Snapshot>();
  std::vector<std::string> sorted = snap.paths;
  std::sort(sorted.begin(), sorted.end());
  return FindParent(repo, snap.hostname, sorted);
}

// Scans the targets for totals, so progress can show an ETA.
void ScanTotals(const std::vector<std::string>& roots, const std::vector<PathPattern>& excludes,
                ProgressCounters* progress, const std::atomic<bool>* stop) {
  std::vector<std::string> stack(roots.begin(), roots.end());
  while (!stack.empty() && !stop->load()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode)) {
      progress->files_total++;
      progress->bytes_total += static_cast<uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      auto names = ReadDirNames(path);
      if (!names.ok()) continue;
      std::string prefix = path == "/" ? "/" : path + "/";
      for (const auto& n : *names) {
        std::string child = prefix + n;
        bool excluded = false;
        for (const auto& p : excludes) excluded = excluded || p.Matches(child);
        if (!excluded) stack.push_back(std::move(child));
      }
    }
  }
  progress->totals_final = true;
}

}  // namespace

Result<BackupSummary> RunBackup(Repository& repo, const BackupOptions& options,
                                ProgressCounters* progress, WarningSink* warnings) {
  auto start = std::chrono::steady_clock::now();
  if (options.compression) repo.set_compression(*options.compression);
  Archiver archiver(repo, options, progress, warnings);
  Snapshot snap;
  snap.time = options.time.value_or(Now());
  snap.hostname = options.host.empty() ? HostName() : options.host;
  snap.username = CurrentUserName();
  snap.uid = geteuid();
  snap.gid = getegid();
  snap.tags = options.tags;
  snap.excludes = options.excludes;
  snap.program_version = std::string("lifeboat ") + LIFEBOAT_VERSION;
  WriteStats& ws = repo.write_stats();
  uint64_t data_blobs0 = ws.data_blobs, tree_blobs0 = ws.tree_blobs, stored0 = ws.stored_bytes,
           plain0 = ws.blob_bytes;

  Result<Id> tree = InvalidArgument("nothing to back up");
  if (!options.streams.empty()) {
    snap.paths = options.snapshot_paths;
    LB_ASSIGN_OR_RETURN(std::optional<Snapshot> parent, ChooseParent(repo, options, snap));
    if (parent) {
      snap.parent = parent->id;
      archiver.summary().parent = parent->id;
      archiver.set_parent_root(parent->tree);
    }
    tree = archiver.BackupStreams();
  } else if (options.use_stdin) {
    if (options.stdin_filename.empty() || options.stdin_filename.find('/') != std::string::npos) {
      return InvalidArgument("--stdin-filename must be a plain file name, got \"" +
                             options.stdin_filename + "\"");
    }
    snap.paths = {"/" + options.stdin_filename};
    tree = archiver.BackupStdin();
  } else {
    if (options.paths.empty()) return InvalidArgument("no paths to back up given");
    VirtualDir root;
    std::vector<std::string> abs_roots;
    for (const std::string& given : options.paths) {
      std::string abs = CleanAbsolute(given);
      struct stat st;
      if (lstat(abs.c_str(), &st) != 0) {
        archiver.Warn(ErrnoStatus("backup target " + given, errno).message());
        continue;
      }
      abs_roots.push_back(abs);
      auto parts = TreeComponents(given, abs);
      VirtualDir* v = &root;
      std::string walked = parts.empty() || given.empty() || given[0] == '/' ||
                                   std::find(parts.begin(), parts.end(), "..") != parts.end()
                               ? ""
                               : CleanAbsolute(".");
      if (walked == "/") walked.clear();
      bool covered = root.target;
      for (const auto& p : parts) {
        if (v->target) covered = true;
        walked += "/" + p;
        v = &v->children[p];
        if (v->abs_path.empty()) v->abs_path = walked;
      }
      if (covered) continue;
      v->target = true;
      v->abs_path = abs;
      v->children.clear();
    }
    if (abs_roots.empty()) return NotFound("none of the paths to back up exist");
    std::sort(abs_roots.begin(), abs_roots.end());
    abs_roots.erase(std::unique(abs_roots.begin(), abs_roots.end()), abs_roots.end());
    snap.paths = abs_roots;

    LB_ASSIGN_OR_RETURN(std::optional<Snapshot> parent, ChooseParent(repo, options, snap));
    if (parent) {
      snap.parent = parent->id;
      archiver.summary().parent = parent->id;
    }

    std::atomic<bool> stop_scan{false};
    std::thread scanner;
    if (progress) {
      scanner = std::thread(ScanTotals, abs_roots, archiver.excludes_, progress, &stop_scan);
    }
    std::optional<Id> parent_tree = parent ? std::optional<Id>(parent->tree) : std::nullopt;
    if (root.target) {
      struct stat st;
      lstat(root.abs_path.c_str(), &st);
      tree = archiver.SaveDirectory(root.abs_path, parent_tree, st.st_dev);
    } else {
      tree = archiver.SaveVirtualDir(root, parent_tree);
    }
    stop_scan = true;
    if (scanner.joinable()) scanner.join();
  }
  if (!tree.ok()) return tree.status();
  snap.tree = *tree;
  // Packs, then the index naming them, then the snapshot naming the tree.
  LB_RETURN_IF_ERROR(repo.Flush());
  LB_ASSIGN_OR_RETURN(snap.id, repo.SaveUnpacked(FileType::kSnapshot, snap.ToJson()));

  BackupSummary& s = archiver.summary();
  s.files_new += archiver.files_new_;
  s.files_changed += archiver.files_changed_;
  s.snapshot_id = snap.id;
  s.data_blobs = ws.data_blobs - data_blobs0;
  s.tree_blobs = ws.tree_blobs - tree_blobs0;
  s.data_added = ws.stored_bytes - stored0;
  s.data_added_plain = ws.blob_bytes - plain0;
  s.bytes_read = archiver.bytes_read_;
  s.errors = archiver.summary_errors_;
  s.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

Result<BackupSummary> RunBackup(Repository& repo, Source& source, BackupOptions options,
                                ProgressCounters* progress, WarningSink* warnings) {
  RepoCatalog catalog(repo);
  auto fail = [&source](Status s) -> Result<BackupSummary> {
    source.Abort();
    return s;
  };
  Status prepared = source.Prepare(catalog);
  if (!prepared.ok()) return fail(prepared);
  size_t warned = 0;
  if (warnings) {
    for (const auto& w : source.Warnings()) warnings->Warn(w);
    warned = source.Warnings().size();
  }
  std::vector<std::string> tags = source.Tags();
  for (auto& t : options.tags) {
    if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(std::move(t));
  }
  options.tags = std::move(tags);
  for (auto& e : source.Excludes()) options.excludes.push_back(std::move(e));
  options.skip_paths = source.SkipPaths();
  if (std::optional<Id> parent = source.Parent()) options.parent = *parent;
  repo.set_compression(options.compression.value_or(source.CompressionLevel()));
  Status started = source.Start();
  if (!started.ok()) return fail(started);
  std::vector<Item> items = source.Items();
  Result<BackupSummary> result = InvalidArgument("nothing to back up");
  if (items.size() == 1 && std::holds_alternative<HostFilesItem>(items[0])) {
    options.paths = std::get<HostFilesItem>(items[0]).paths;
    result = RunBackup(repo, options, progress, warnings);
    if (result.ok()) {
      auto last = source.Stop();
      if (!last.ok()) return fail(last.status());
      if (!last->empty()) return fail(InvalidArgument("a files backup stores nothing after its files"));
    }
  } else {
    options.paths.clear();
    options.streams = std::move(items);
    options.snapshot_paths = source.SnapshotPaths();
    options.closing = [&source] { return source.Stop(); };
    result = RunBackup(repo, options, progress, warnings);
  }
  if (!result.ok()) return fail(result.status());
  if (warnings) {
    std::vector<std::string> later = source.Warnings();
    for (size_t i = warned; i < later.size(); ++i) warnings->Warn(later[i]);
  }
  return result;
}

}  // namespace lifeboat
