#include "storage/storage.h"

#include "storage/crash_point_storage.h"
#include "storage/fault_storage.h"
#include "storage/retry_storage.h"
#include "storage/s3/s3_storage.h"
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
    case FileType::kLog: return "wal";
    case FileType::kResult: return "results";
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
    case FileType::kLog: return "log file";
    case FileType::kResult: return "result";
  }
  return "";
}

Result<std::unique_ptr<Storage>> OpenStorage(std::string_view url, const StorageOptions& options,
                                             RetryingStorage** retrying) {
  if (url.empty()) {
    return InvalidArgument(
        "no repository given: use -r/--repo or set LIFEBOAT_REPOSITORY");
  }
  std::unique_ptr<Storage> driver;
  if (url.starts_with("s3:")) {
    LB_ASSIGN_OR_RETURN(S3Options o, ParseS3Url(url, options));
    LB_ASSIGN_OR_RETURN(AwsCredentials creds, LoadAwsCredentials());
    driver = std::make_unique<S3Storage>(std::move(o), std::move(creds));
  } else {
    for (std::string_view scheme : {"sftp:", "rest:", "b2:", "azure:", "gs:", "rclone:", "swift:"}) {
      if (url.starts_with(scheme)) {
        return InvalidArgument("repository " + std::string(url) + ": backend \"" +
                               std::string(scheme.substr(0, scheme.size() - 1)) +
                               "\" is not supported by this build");
      }
    }
    for (const auto& [k, v] : options) {
      if (k.starts_with("s3.")) return InvalidArgument("option " + k + " applies to s3: repositories only");
    }
    std::string_view path = url;
    if (url.starts_with("local:")) path.remove_prefix(6);
    driver = std::make_unique<LocalStorage>(std::string(path));
  }
  // Test decorators: faults next to the driver (some reach into it), kill
  // points outside them.
  LB_ASSIGN_OR_RETURN(driver, FaultStorage::MaybeWrap(std::move(driver)));
  driver = CrashPointStorage::MaybeWrap(std::move(driver));
  auto outer = std::make_unique<RetryingStorage>(std::move(driver));
  if (retrying != nullptr) *retrying = outer.get();
  return std::unique_ptr<Storage>(std::move(outer));
}

}  // namespace lifeboat
