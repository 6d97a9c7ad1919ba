// The file-system Source: files and directories of this machine, stored
// under their absolute paths as restic lays them out, incremental by
// metadata against the parent snapshot (the engine does the walking: see
// HostFilesItem in source/source.h).
#pragma once

#include <string>
#include <vector>

#include "source/source.h"

namespace lifeboat::fs {

class FilesSource final : public Source {
 public:
  explicit FilesSource(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  std::string Display() const override;
  std::vector<std::string> SnapshotPaths() const override { return paths_; }
  // Nothing to connect to: the paths are checked as they are read (a
  // missing one is a warning, as in restic).
  Status Prepare(SnapshotCatalog&) override;
  std::vector<Item> Items() override { return {HostFilesItem{paths_}}; }

 private:
  std::vector<std::string> paths_;
};

}  // namespace lifeboat::fs
