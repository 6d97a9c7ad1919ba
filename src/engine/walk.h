// Walking a snapshot's trees: for ls, find, stats and dump.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "repo/repository.h"
#include "repo/tree.h"

namespace lifeboat {

// Calls fn(path, node) for every node below tree `root`, depth-first in name
// order; path is "/a/b". If fn returns false for a directory, its contents
// are skipped.
Status WalkTree(Repository& repo, const Id& root, const std::string& prefix,
                const std::function<bool(const std::string&, const Node&)>& fn);

// Finds the node at `path` ("/a/b") below tree `root`.
Result<Node> FindPath(Repository& repo, const Id& root, const std::string& path);

// Writes the contents of file `node` to `fd`, blob by blob (each one
// authenticated and hash-checked). A closed pipe is a kIoError (EPIPE).
Status WriteFileContents(Repository& repo, const Node& node, int fd, const std::string& what);

// Reads a (small) file of a snapshot into memory.
Result<std::string> ReadSnapshotFile(Repository& repo, const Id& root, const std::string& path);

}  // namespace lifeboat
