// Trees: the JSON directory listings stored as tree blobs. Field names and
// meanings follow restic's tree format so either tool can read the other's.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "repo/id.h"

namespace lifeboat {

// Mode bits as Go's os.FileMode encodes them (restic stores these).
namespace gomode {
constexpr uint32_t kDir = 1u << 31;
constexpr uint32_t kSymlink = 1u << 27;
constexpr uint32_t kDevice = 1u << 26;
constexpr uint32_t kNamedPipe = 1u << 25;
constexpr uint32_t kSocket = 1u << 24;
constexpr uint32_t kSetuid = 1u << 23;
constexpr uint32_t kSetgid = 1u << 22;
constexpr uint32_t kCharDevice = 1u << 21;
constexpr uint32_t kSticky = 1u << 20;
constexpr uint32_t kPerm = 0777;
}  // namespace gomode

uint32_t GoModeFromStat(mode_t st_mode);
// Permission and special bits (no type bits) as chmod(2) takes them.
mode_t UnixPermFromGoMode(uint32_t go_mode);

struct Node {
  std::string name;  // raw bytes; may be non-UTF-8
  std::string type;  // file, dir, symlink, dev, chardev, fifo, socket
  uint32_t mode = 0;
  Timestamp mtime, atime, ctime;
  uint32_t uid = 0, gid = 0;
  std::string user, group;
  uint64_t inode = 0;
  uint64_t device_id = 0;
  uint64_t size = 0;
  uint64_t links = 0;
  std::string link_target;  // raw bytes
  std::vector<std::pair<std::string, std::string>> xattrs;  // name, value
  uint64_t device = 0;  // st_rdev of device nodes
  std::vector<Id> content;
  // lifeboat's fingerprint of a file: XXH3-128 of its bytes as the backup
  // read them (32 hex digits, "lifeboat_xxh128" in the JSON, which restic
  // ignores and keeps); "" when none was taken (restic, older lifeboat).
  // A restore test compares the restored bytes with it.
  std::string fingerprint;
  std::optional<Id> subtree;
  std::string error;
};

struct Tree {
  std::vector<Node> nodes;  // sorted by name
};

// Encodes a tree as restic does (compact JSON and a trailing newline). Names
// are Go-quoted as restic 0.14 writes them (repo/go_quote.h), so every byte
// survives either tool. Link targets that are not UTF-8 are written lossily
// in "linktarget" (as restic 0.14 does) and exactly, base64, in
// "linktarget_raw" (the field restic 0.16 added for the same purpose).
std::string EncodeTree(const Tree& tree);
// The node named `name` in a tree (nodes sorted by name), or nullptr.
const Node* FindNode(const Tree& tree, std::string_view name);
// True if a file's size, mtime, ctime and inode match its node in an earlier
// snapshot: the rule by which a backup does not read it again.
bool SameFileMetadata(const Node& before, const Node& now);
Result<Tree> DecodeTree(std::string_view json);

// Appends s as a JSON string literal; invalid UTF-8 becomes U+FFFD.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace lifeboat
