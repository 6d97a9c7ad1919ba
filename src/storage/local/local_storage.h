// LocalStorage: a repository in a directory, in restic's default layout
// (config, keys/, locks/, snapshots/, index/, data/00..ff/).
#pragma once

#include <atomic>
#include <mutex>
#include <sys/types.h>
#include <string>

#include "storage/storage.h"

namespace lifeboat {

class LocalStorage final : public Storage {
 public:
  explicit LocalStorage(std::string root);

  std::string Location() const override { return root_; }
  Status Create() override;
  Status Save(FileType type, std::string_view name, std::string_view data) override;
  Result<std::string> Load(FileType type, std::string_view name, uint64_t offset,
                           uint64_t length) override;
  Result<uint64_t> Size(FileType type, std::string_view name) override;
  Status List(FileType type, const std::function<void(const ObjectInfo&)>& fn) override;
  Status Remove(FileType type, std::string_view name) override;

  // Test seam (FaultStorage, LIFEBOAT_TEST_FAULTS): after `renames_ok`
  // renames every rename into place fails with EIO; writes of buffered files
  // are cut into pieces of at most `max_write` bytes (short writes). Set
  // before use; not for production.
  void InjectFaultsForTest(long renames_ok, size_t max_write) {
    renames_ok_ = renames_ok;
    max_write_ = max_write;
  }

 private:
  int Rename(const char* from, const char* to);
  // New files and directories take the repository's owner (when root writes
  // into a repository another user owns: a repository that root's backup
  // and the postgres user's wal-push share) and, as restic does, group
  // read access when the config file has it (0440 files, 0770 directories;
  // else 0400 and 0700).
  void LearnOwnership();
  Status MakeDir(const std::string& path);
  std::once_flag owner_once_;
  bool chown_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  mode_t file_mode_ = 0400;
  mode_t dir_mode_ = 0700;
  // Path of a file relative to the root ("data/ab/abcd...").
  std::string RelPath(FileType type, std::string_view name) const;
  std::string root_;
  long renames_ok_ = -1;  // < 0: never fail
  size_t max_write_ = 0;  // 0: unlimited
  std::atomic<long> renames_{0};
};

}  // namespace lifeboat
