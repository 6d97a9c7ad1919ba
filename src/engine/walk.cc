#include "engine/walk.h"

#include <unistd.h>

#include <cerrno>

#include "engine/pathmatch.h"
#include "env/env.h"

namespace lifeboat {

Status WalkTree(Repository& repo, const Id& root, const std::string& prefix,
                const std::function<bool(const std::string&, const Node&)>& fn) {
  LB_ASSIGN_OR_RETURN(std::string json, repo.LoadBlob(BlobType::kTree, root));
  auto tree = DecodeTree(json);
  if (!tree.ok()) return tree.status().WithContext("tree " + root.Short());
  for (const Node& n : tree->nodes) {
    std::string path = prefix + "/" + n.name;
    bool descend = fn(path, n);
    if (descend && n.type == "dir" && n.subtree) {
      LB_RETURN_IF_ERROR(WalkTree(repo, *n.subtree, path, fn));
    }
  }
  return Status::Ok();
}

Result<Node> FindPath(Repository& repo, const Id& root, const std::string& path) {
  auto parts = SplitPath(path);
  if (parts.empty()) {
    Node n;
    n.name = "/";
    n.type = "dir";
    n.subtree = root;
    return n;
  }
  Id current = root;
  for (size_t i = 0; i < parts.size(); ++i) {
    LB_ASSIGN_OR_RETURN(std::string json, repo.LoadBlob(BlobType::kTree, current));
    LB_ASSIGN_OR_RETURN(Tree tree, DecodeTree(json));
    const Node* found = nullptr;
    for (const Node& n : tree.nodes) {
      if (n.name == parts[i]) found = &n;
    }
    if (found == nullptr) return NotFound("path " + path + " is not in the snapshot");
    if (i + 1 == parts.size()) return *found;
    if (found->type != "dir" || !found->subtree) {
      return NotFound("path " + path + ": " + parts[i] + " is not a directory");
    }
    current = *found->subtree;
  }
  return NotFound("path " + path + " is not in the snapshot");
}

Status WriteFileContents(Repository& repo, const Node& node, int fd, const std::string& what) {
  for (const Id& id : node.content) {
    LB_ASSIGN_OR_RETURN(std::string blob, repo.LoadBlob(BlobType::kData, id));
    LB_RETURN_IF_ERROR(WriteAll(fd, blob, what));
  }
  return Status::Ok();
}

Result<std::string> ReadSnapshotFile(Repository& repo, const Id& root, const std::string& path) {
  LB_ASSIGN_OR_RETURN(Node node, FindPath(repo, root, path));
  if (node.type != "file") return InvalidArgument(path + " is a " + node.type + ", not a file");
  std::string out;
  for (const Id& id : node.content) {
    LB_ASSIGN_OR_RETURN(std::string blob, repo.LoadBlob(BlobType::kData, id));
    out += blob;
  }
  return out;
}

}  // namespace lifeboat
