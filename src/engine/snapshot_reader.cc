#include "engine/snapshot_reader.h"

#include "engine/restore.h"
#include "engine/walk.h"

namespace lifeboat {

Result<Node> RepoSnapshotReader::Find(const std::string& path) {
  return FindPath(repo_, snapshot_.tree, path);
}

Result<std::string> RepoSnapshotReader::ReadFile(const std::string& path) {
  Result<std::string> text = ReadSnapshotFile(repo_, snapshot_.tree, path);
  if (text.ok()) bytes_read_ += text->size();
  return text;
}

Status RepoSnapshotReader::CopyFile(const Node& file, int fd, const std::string& what) {
  LB_RETURN_IF_ERROR(WriteFileContents(repo_, file, fd, what));
  bytes_read_ += file.size;
  return Status::Ok();
}

Result<Id> RepoSnapshotReader::TreeAt(const std::string& path) {
  if (path.empty() || path == "/") return snapshot_.tree;
  LB_ASSIGN_OR_RETURN(Node node, Find(path));
  if (node.type != "dir" || !node.subtree) {
    return Corrupt("snapshot " + snapshot_.id.Short() + ": " + path + " is not a directory");
  }
  return *node.subtree;
}

Status RepoSnapshotReader::Walk(const std::string& path,
                                const std::function<bool(const std::string&, const Node&)>& fn) {
  LB_ASSIGN_OR_RETURN(Id root, TreeAt(path));
  return WalkTree(repo_, root, "", fn);
}

Result<SnapshotReader::TreeRestore> RepoSnapshotReader::RestoreTree(const std::string& path,
                                                                    const std::string& dir,
                                                                    const std::vector<std::string>& only) {
  Snapshot sub = snapshot_;
  LB_ASSIGN_OR_RETURN(sub.tree, TreeAt(path));
  RestoreOptions ro;
  ro.target = dir;
  ro.includes = only;
  LB_ASSIGN_OR_RETURN(RestoreSummary rs, RunRestore(repo_, sub, ro, nullptr, nullptr));
  TreeRestore out;
  out.files = rs.files;
  out.dirs = rs.dirs;
  out.others = rs.others;
  out.bytes = rs.bytes;
  bytes_read_ += rs.bytes;
  out.errors = rs.errors;
  return out;
}

}  // namespace lifeboat
