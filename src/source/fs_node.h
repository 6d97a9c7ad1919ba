// Files and directories as tree nodes: reading metadata for backup and
// putting it back on restore.
#pragma once

#include <sys/stat.h>

#include <string>

#include "base/status.h"
#include "repo/tree.h"

namespace lifeboat {

// Builds the node for `path` from its lstat result: type, mode, owner (ids
// and names), times, inode, links, device, link target and extended
// attributes. Content and subtree are left for the caller.
Result<Node> NodeFromStat(const std::string& path, std::string name, const struct stat& st);

// Creates a non-regular, non-directory node at path (symlink, fifo, device).
// Sockets are skipped (returns Ok without creating anything).
Status CreateSpecialFile(const std::string& path, const Node& node);

// Applies owner (when running as root), mode, extended attributes and times.
// For symlinks only owner, xattrs and times.
Status ApplyMetadata(const std::string& path, const Node& node);

// Lists directory entries (names only, without . and ..), sorted bytewise.
Result<std::vector<std::string>> ReadDirNames(const std::string& path);

}  // namespace lifeboat
