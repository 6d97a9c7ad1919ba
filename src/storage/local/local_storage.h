// LocalStorage: a repository in a directory, in restic's default layout
// (config, keys/, locks/, snapshots/, index/, data/00..ff/).
#pragma once

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

 private:
  // Path of a file relative to the root ("data/ab/abcd...").
  std::string RelPath(FileType type, std::string_view name) const;
  std::string root_;
};

}  // namespace lifeboat
