#include "storage/local/local_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "crypto/crypto.h"

namespace lifeboat {
namespace {


Status WriteAll(int fd, std::string_view data, const std::string& what, size_t max_write = 0) {
  size_t done = 0;
  while (done < data.size()) {
    size_t want = data.size() - done;
    if (max_write > 0 && want > max_write) want = max_write;
    ssize_t n = write(fd, data.data() + done, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write " + what, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + dir, errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0 && err != EINVAL) return ErrnoStatus("fsync " + dir, err);
  return Status::Ok();
}

// Large files (packs) are written with O_DIRECT: they are fsynced and not
// read back soon, and the page-cache copy of buffered writes cost more CPU
// than anything but compression (docs/benchmarks.md). The data is copied to
// an aligned buffer padded to whole blocks, then the file is truncated to
// its size. Returns false (and writes nothing) where O_DIRECT is not
// supported, e.g. on tmpfs; the caller then writes buffered.
constexpr size_t kDirectMin = 1 << 20;
constexpr size_t kDirectAlign = 4096;

bool WriteDirect(const std::string& path, std::string_view data, mode_t mode, Status* status) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, mode);
  if (fd < 0) {
    if (errno == EINVAL) return false;
    *status = ErrnoStatus("create " + path, errno);
    return true;
  }
  // O_DIRECT wants aligned memory, offsets and lengths. A page-aligned
  // source (packs are built so) is written as it is; otherwise it is copied
  // to a per-thread aligned buffer. The last partial block always goes
  // through a small aligned bounce buffer; then the file is truncated.
  size_t whole = data.size() / kDirectAlign * kDirectAlign;
  const char* src = data.data();
  thread_local std::unique_ptr<char, decltype(&free)> copy(nullptr, &free);
  thread_local size_t copy_capacity = 0;
  if (reinterpret_cast<uintptr_t>(src) % kDirectAlign != 0 && whole > 0) {
    if (copy_capacity < whole) {
      void* raw = nullptr;
      if (posix_memalign(&raw, kDirectAlign, whole) != 0) {
        close(fd);
        unlink(path.c_str());
        return false;
      }
      copy.reset(static_cast<char*>(raw));
      copy_capacity = whole;
    }
    std::memcpy(copy.get(), src, whole);
    src = copy.get();
  }
  Status st = WriteAll(fd, std::string_view(src, whole), path);
  if (st.ok() && whole < data.size()) {
    alignas(kDirectAlign) static thread_local char tail[kDirectAlign];
    std::memset(tail, 0, sizeof tail);
    std::memcpy(tail, data.data() + whole, data.size() - whole);
    if (pwrite(fd, tail, sizeof tail, static_cast<off_t>(whole)) != static_cast<ssize_t>(sizeof tail)) {
      st = ErrnoStatus("write " + path, errno);
    }
  }
  if (!st.ok() && st.code() != Code::kNoSpace && errno == EINVAL) {
    close(fd);
    unlink(path.c_str());
    return false;
  }
  if (st.ok() && ftruncate(fd, static_cast<off_t>(data.size())) != 0) st = ErrnoStatus("truncate " + path, errno);
  if (st.ok() && fsync(fd) != 0) st = ErrnoStatus("fsync " + path, errno);
  if (close(fd) != 0 && st.ok()) st = ErrnoStatus("close " + path, errno);
  *status = st;
  return true;
}

}  // namespace

LocalStorage::LocalStorage(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

int LocalStorage::Rename(const char* from, const char* to) {
  if (renames_ok_ >= 0 && ++renames_ > renames_ok_) {
    errno = EIO;
    return -1;
  }
  return rename(from, to);
}

std::string LocalStorage::RelPath(FileType type, std::string_view name) const {
  if (type == FileType::kConfig) return "config";
  std::string rel(FileTypeDir(type));
  rel += '/';
  if (type == FileType::kPack && name.size() >= 2) {
    rel.append(name.substr(0, 2));
    rel += '/';
  }
  rel.append(name);
  return rel;
}

void LocalStorage::LearnOwnership() {
  std::call_once(owner_once_, [this] {
    struct stat st;
    if (stat(root_.c_str(), &st) == 0 && geteuid() == 0 && (st.st_uid != 0 || st.st_gid != 0)) {
      chown_ = true;
      uid_ = st.st_uid;
      gid_ = st.st_gid;
    }
    if (stat((root_ + "/config").c_str(), &st) == 0 && (st.st_mode & S_IRGRP)) {
      file_mode_ = 0440;
      dir_mode_ = 0770;
    }
  });
}

Status LocalStorage::MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), dir_mode_) != 0) {
    if (errno == EEXIST) return Status::Ok();
    return ErrnoStatus("mkdir " + path, errno);
  }
  if (chown_ && chown(path.c_str(), uid_, gid_) != 0) return ErrnoStatus("chown " + path, errno);
  return Status::Ok();
}

Status LocalStorage::Create() {
  struct stat st;
  if (stat((root_ + "/config").c_str(), &st) == 0) {
    return AlreadyExists("repository " + root_ + " already exists (config file present)");
  }
  if (mkdir(root_.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus("create repository directory " + root_, errno);
  }
  LearnOwnership();
  for (FileType t : {FileType::kKey, FileType::kLock, FileType::kSnapshot, FileType::kIndex,
                     FileType::kPack}) {
    LB_RETURN_IF_ERROR(MakeDir(root_ + "/" + std::string(FileTypeDir(t))));
  }
  LB_RETURN_IF_ERROR(MakeDir(root_ + "/tmp"));
  for (int i = 0; i < 256; ++i) {
    char sub[4];
    std::snprintf(sub, sizeof sub, "%02x", i);
    LB_RETURN_IF_ERROR(MakeDir(root_ + "/data/" + sub));
  }
  return Status::Ok();
}

Status LocalStorage::Save(FileType type, std::string_view name, std::string_view data) {
  std::string rel = RelPath(type, name);
  std::string final_path = root_ + "/" + rel;
  std::string final_dir = final_path.substr(0, final_path.rfind('/'));
  LearnOwnership();
  // Write to tmp/ and rename into place, so the final name only ever holds a
  // complete, synced file. tmp/ is created on demand (restic's repos lack it).
  LB_RETURN_IF_ERROR(MakeDir(root_ + "/tmp"));
  LB_RETURN_IF_ERROR(MakeDir(final_dir));
  std::string tmp = root_ + "/tmp/" + HexEncode(RandomBytes(12));
  Status st;
  if (data.size() < kDirectMin || !WriteDirect(tmp, data, file_mode_, &st)) {
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, file_mode_);
    if (fd < 0) return ErrnoStatus("create " + tmp, errno);
    st = WriteAll(fd, data, rel, max_write_);
    if (st.ok() && fsync(fd) != 0) st = ErrnoStatus("fsync " + rel, errno);
    if (close(fd) != 0 && st.ok()) st = ErrnoStatus("close " + rel, errno);
  }
  if (st.ok() && chown_ && chown(tmp.c_str(), uid_, gid_) != 0) st = ErrnoStatus("chown " + tmp, errno);
  if (st.ok() && Rename(tmp.c_str(), final_path.c_str()) != 0) {
    st = ErrnoStatus("rename into " + rel, errno);
  }
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st.WithContext("save " + std::string(FileTypeName(type)) + " in " + root_);
  }
  return SyncDir(final_dir);
}

Result<std::string> LocalStorage::Load(FileType type, std::string_view name, uint64_t offset,
                                       uint64_t length) {
  std::string rel = RelPath(type, name);
  std::string path = root_ + "/" + rel;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(rel + " in " + root_ + ": no such file");
    return ErrnoStatus("open " + path, errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus("stat " + path, err);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (length == 0) length = offset <= size ? size - offset : 0;
  if (offset + length > size) {
    close(fd);
    return Corrupt(rel + " in " + root_ + ": file is " + std::to_string(size) +
                   " bytes, wanted range ending at " + std::to_string(offset + length));
  }
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      return ErrnoStatus("read " + path, err);
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return out;
}

Result<uint64_t> LocalStorage::Size(FileType type, std::string_view name) {
  std::string rel = RelPath(type, name);
  struct stat st;
  if (stat((root_ + "/" + rel).c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFound(rel + " in " + root_ + ": no such file");
    return ErrnoStatus("stat " + root_ + "/" + rel, errno);
  }
  // A directory named like an object (a project's config/) is no object.
  if (!S_ISREG(st.st_mode)) return NotFound(rel + " in " + root_ + ": not a file");
  return static_cast<uint64_t>(st.st_size);
}

Status LocalStorage::List(FileType type, const std::function<void(const ObjectInfo&)>& fn) {
  if (type == FileType::kConfig) {
    auto size = Size(type, "");
    if (size.ok()) fn(ObjectInfo{"config", *size, ""});
    return Status::Ok();
  }
  std::string base = root_ + "/" + std::string(FileTypeDir(type));
  auto list_dir = [&](const std::string& dir) -> Status {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return Status::Ok();
      return ErrnoStatus("list " + dir, errno);
    }
    while (dirent* e = readdir(d)) {
      std::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      struct stat st;
      if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (!S_ISREG(st.st_mode)) continue;
      fn(ObjectInfo{std::string(n), static_cast<uint64_t>(st.st_size), ""});
    }
    closedir(d);
    return Status::Ok();
  };
  if (type != FileType::kPack) return list_dir(base);
  DIR* d = opendir(base.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoStatus("list " + base, errno);
  }
  std::vector<std::string> subdirs;
  while (dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n.size() == 2 && n != "..") subdirs.emplace_back(n);
  }
  closedir(d);
  for (const auto& sub : subdirs) LB_RETURN_IF_ERROR(list_dir(base + "/" + sub));
  return Status::Ok();
}

Status LocalStorage::Remove(FileType type, std::string_view name) {
  std::string path = root_ + "/" + RelPath(type, name);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("remove " + path, errno);
  return Status::Ok();
}

}  // namespace lifeboat
