#include "storage/storage.h"

#include "storage/crash_point_storage.h"
#include "storage/local/local_storage.h"

namespace lifeboat {

std::string_view FileTypeDir(FileType type) {
  switch (type) {
    case FileType::kConfig: return "";
    case FileType::kKey: return "keys";
    case FileType::kLock: return "locks";
    case FileType::kSnapshot: return "snapshots";
    case FileType::kIndex: return "index";
    case FileType::kPack: return "data";
  }
  return "";
}

std::string_view FileTypeName(FileType type) {
  switch (type) {
    case FileType::kConfig: return "config";
    case FileType::kKey: return "key";
    case FileType::kLock: return "lock";
    case FileType::kSnapshot: return "snapshot";
    case FileType::kIndex: return "index";
    case FileType::kPack: return "pack";
  }
  return "";
}

Result<std::unique_ptr<Storage>> OpenStorage(std::string_view url) {
  if (url.empty()) {
    return InvalidArgument(
        "no repository given: use -r/--repo or set LIFEBOAT_REPOSITORY");
  }
  std::string_view path = url;
  if (url.starts_with("local:")) path.remove_prefix(6);
  for (std::string_view scheme : {"s3:", "sftp:", "rest:", "b2:", "azure:", "gs:", "rclone:"}) {
    if (url.starts_with(scheme)) {
      return InvalidArgument("repository " + std::string(url) + ": backend \"" +
                             std::string(scheme.substr(0, scheme.size() - 1)) +
                             "\" is not supported by this build");
    }
  }
  return CrashPointStorage::MaybeWrap(std::make_unique<LocalStorage>(std::string(path)));
}

}  // namespace lifeboat
