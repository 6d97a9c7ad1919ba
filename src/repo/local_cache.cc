#include "repo/local_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "env/env.h"

namespace lifeboat {
namespace {

// The plaintext of a cache file: this line, the file's name and a newline,
// then the data.
constexpr std::string_view kMagic = "lifeboat cache 1\n";
// https://bford.info/cachedir/
constexpr std::string_view kCacheDirTag =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by lifeboat.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n";

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_';
}

bool ValidPart(std::string_view part) {
  return !part.empty() && part != "." && part != ".." && std::all_of(part.begin(), part.end(), NameChar);
}

Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return Status::Ok();
  return ErrnoStatus("create the cache directory " + path, errno);
}

}  // namespace

Status LocalCache::CheckName(const std::string& name) const {
  size_t slash = name.find('/');
  if (slash == std::string::npos || !ValidPart(std::string_view(name).substr(0, slash)) ||
      !ValidPart(std::string_view(name).substr(slash + 1))) {
    return InvalidArgument("cache file name \"" + name + "\" is not FOLDER/FILE");
  }
  return Status::Ok();
}

Result<std::string> LocalCache::Get(const std::string& name) const {
  LB_RETURN_IF_ERROR(CheckName(name));
  const std::string path = dir_ + "/" + name;
  auto sealed = ReadWholeFile(path);
  if (!sealed.ok()) {
    if (sealed.status().code() == Code::kNotFound) return NotFound("no " + path + " in the cache");
    return sealed.status();
  }
  auto plain = key_.Open(*sealed);
  if (!plain.ok()) return Corrupt("cache file " + path + " does not authenticate with the repository's key");
  std::string header = std::string(kMagic) + name + "\n";
  if (!plain->starts_with(header)) return Corrupt("cache file " + path + " holds another name's data");
  plain->erase(0, header.size());
  return plain;
}

Status LocalCache::Put(const std::string& name, std::string_view data) const {
  LB_RETURN_IF_ERROR(CheckName(name));
  std::string root = std::filesystem::path(dir_).parent_path().string();
  std::error_code ec;
  bool new_root = std::filesystem::create_directories(root, ec);
  if (ec) return IoError("create the cache directory " + root + ": " + ec.message());
  if (new_root) {
    std::filesystem::permissions(root, std::filesystem::perms::owner_all, ec);
    int fd = open((root + "/CACHEDIR.TAG").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      (void)WriteAll(fd, kCacheDirTag, "CACHEDIR.TAG");
      close(fd);
    }
  }
  LB_RETURN_IF_ERROR(MakeDir(dir_));
  const std::string folder = dir_ + "/" + name.substr(0, name.find('/'));
  LB_RETURN_IF_ERROR(MakeDir(folder));
  std::string plain;
  plain.reserve(kMagic.size() + name.size() + 1 + data.size());
  plain.append(kMagic).append(name).append("\n").append(data);
  std::string sealed = key_.Seal(plain);
  plain.clear();
  plain.shrink_to_fit();
  const std::string path = dir_ + "/" + name;
  const std::string tmp = path + ".tmp" + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("write " + tmp, errno);
  Status wrote = WriteAll(fd, sealed, tmp);
  if (close(fd) != 0 && wrote.ok()) wrote = ErrnoStatus("write " + tmp, errno);
  if (wrote.ok() && rename(tmp.c_str(), path.c_str()) != 0) wrote = ErrnoStatus("rename " + tmp, errno);
  if (!wrote.ok()) unlink(tmp.c_str());
  return wrote;
}

Result<std::vector<std::string>> LocalCache::List(const std::string& folder) const {
  std::vector<std::string> out;
  if (!ValidPart(folder)) return InvalidArgument("cache folder \"" + folder + "\"");
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_ + "/" + folder, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return out;
    return IoError("list the cache folder " + dir_ + "/" + folder + ": " + ec.message());
  }
  for (const auto& entry : it) {
    std::string file = entry.path().filename().string();
    if (ValidPart(file) && file.find(".tmp") == std::string::npos) out.push_back(folder + "/" + file);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status LocalCache::Remove(const std::string& name) const {
  LB_RETURN_IF_ERROR(CheckName(name));
  const std::string path = dir_ + "/" + name;
  if (unlink(path.c_str()) == 0 || errno == ENOENT) return Status::Ok();
  return ErrnoStatus("remove " + path, errno);
}

std::string DefaultCacheRoot() {
  if (const char* d = std::getenv("LIFEBOAT_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/lifeboat";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/lifeboat";
  return "";
}

}  // namespace lifeboat
