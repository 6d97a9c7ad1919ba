#include "source/fs_node.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "env/env.h"

namespace lifeboat {
namespace {

Timestamp FromTimespec(const timespec& ts) {
  return Timestamp{static_cast<int64_t>(ts.tv_sec), static_cast<int32_t>(ts.tv_nsec)};
}

timespec ToTimespec(Timestamp t) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(t.sec);
  ts.tv_nsec = t.nsec;
  return ts;
}

Status ReadXattrs(const std::string& path, Node* node) {
  ssize_t size = llistxattr(path.c_str(), nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP || errno == ENODATA) return Status::Ok();
    return ErrnoStatus("list extended attributes of " + path, errno);
  }
  if (size == 0) return Status::Ok();
  std::string names(static_cast<size_t>(size), '\0');
  size = llistxattr(path.c_str(), names.data(), names.size());
  if (size < 0) return ErrnoStatus("list extended attributes of " + path, errno);
  names.resize(static_cast<size_t>(size));
  for (size_t pos = 0; pos < names.size();) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.empty()) continue;
    ssize_t vsize = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vsize < 0) {
      if (errno == ENODATA) continue;
      return ErrnoStatus("read extended attribute " + name + " of " + path, errno);
    }
    std::string value(static_cast<size_t>(vsize), '\0');
    vsize = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (vsize < 0) return ErrnoStatus("read extended attribute " + name + " of " + path, errno);
    value.resize(static_cast<size_t>(vsize));
    node->xattrs.emplace_back(std::move(name), std::move(value));
  }
  std::sort(node->xattrs.begin(), node->xattrs.end());
  return Status::Ok();
}

}  // namespace

Result<Node> NodeFromStat(const std::string& path, std::string name, const struct stat& st) {
  Node n;
  n.name = std::move(name);
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: n.type = "file"; break;
    case S_IFDIR: n.type = "dir"; break;
    case S_IFLNK: n.type = "symlink"; break;
    case S_IFBLK: n.type = "dev"; break;
    case S_IFCHR: n.type = "chardev"; break;
    case S_IFIFO: n.type = "fifo"; break;
    case S_IFSOCK: n.type = "socket"; break;
    default: return InvalidArgument(path + ": unknown file type");
  }
  n.mode = GoModeFromStat(st.st_mode);
  n.mtime = FromTimespec(st.st_mtim);
  n.atime = FromTimespec(st.st_atim);
  n.ctime = FromTimespec(st.st_ctim);
  n.uid = st.st_uid;
  n.gid = st.st_gid;
  n.user = UserName(st.st_uid);
  n.group = GroupName(st.st_gid);
  n.inode = st.st_ino;
  n.device_id = st.st_dev;
  n.links = st.st_nlink;
  if (n.type == "file") n.size = static_cast<uint64_t>(st.st_size);
  if (n.type == "dev" || n.type == "chardev") n.device = st.st_rdev;
  if (n.type == "symlink") {
    std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
    for (;;) {
      ssize_t len = readlink(path.c_str(), target.data(), target.size());
      if (len < 0) return ErrnoStatus("readlink " + path, errno);
      if (static_cast<size_t>(len) < target.size()) {
        target.resize(static_cast<size_t>(len));
        break;
      }
      target.resize(target.size() * 2);
    }
    n.link_target = std::move(target);
  }
  LB_RETURN_IF_ERROR(ReadXattrs(path, &n));
  return n;
}

Status CreateSpecialFile(const std::string& path, const Node& node) {
  unlink(path.c_str());  // restore replaces what is there
  mode_t perm = UnixPermFromGoMode(node.mode) & 07777;
  int rc = 0;
  if (node.type == "symlink") {
    rc = symlink(node.link_target.c_str(), path.c_str());
  } else if (node.type == "fifo") {
    rc = mkfifo(path.c_str(), perm);
  } else if (node.type == "dev") {
    rc = mknod(path.c_str(), S_IFBLK | perm, static_cast<dev_t>(node.device));
  } else if (node.type == "chardev") {
    rc = mknod(path.c_str(), S_IFCHR | perm, static_cast<dev_t>(node.device));
  } else if (node.type == "socket") {
    return Status::Ok();
  } else {
    return InvalidArgument(path + ": cannot create a node of type " + node.type);
  }
  if (rc != 0) return ErrnoStatus("create " + node.type + " " + path, errno);
  return Status::Ok();
}

Status ApplyMetadata(const std::string& path, const Node& node) {
  bool is_link = node.type == "symlink";
  if (geteuid() == 0 && lchown(path.c_str(), node.uid, node.gid) != 0) {
    return ErrnoStatus("chown " + path, errno);
  }
  // chown clears set-id bits, so the mode comes after it.
  if (!is_link && chmod(path.c_str(), UnixPermFromGoMode(node.mode)) != 0) {
    return ErrnoStatus("chmod " + path, errno);
  }
  for (const auto& [name, value] : node.xattrs) {
    if (lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) != 0) {
      if (errno == ENOTSUP) continue;  // the target filesystem cannot hold them
      return ErrnoStatus("set extended attribute " + name + " on " + path, errno);
    }
  }
  timespec times[2] = {ToTimespec(node.atime), ToTimespec(node.mtime)};
  if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus("set times of " + path, errno);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ReadDirNames(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return ErrnoStatus("read directory " + path, errno);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
  }
  int err = errno;
  closedir(d);
  if (err != 0) return ErrnoStatus("read directory " + path, err);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace lifeboat
