// The engine's side of the source seam: a SnapshotReader over one snapshot
// of a repository, and a SnapshotCatalog over all of them.
#pragma once

#include <cstdint>
#include <memory>

#include "repo/repository.h"
#include "source/source.h"

namespace lifeboat {

class RepoSnapshotReader : public SnapshotReader {
 public:
  RepoSnapshotReader(Repository& repo, Snapshot snapshot) : repo_(repo), snapshot_(std::move(snapshot)) {}
  const Snapshot& snapshot() const override { return snapshot_; }
  Repository& repository() override { return repo_; }
  Result<Node> Find(const std::string& path) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Status CopyFile(const Node& file, int fd, const std::string& what) override;
  Status Walk(const std::string& path,
              const std::function<bool(const std::string&, const Node&)>& fn) override;
  Result<TreeRestore> RestoreTree(const std::string& path, const std::string& dir,
                                  const std::vector<std::string>& only) override;
  // The bytes of file contents read so far (ReadFile, CopyFile,
  // RestoreTree): what a restore test restored.
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  Result<Id> TreeAt(const std::string& path);
  Repository& repo_;
  Snapshot snapshot_;
  uint64_t bytes_read_ = 0;
};

class RepoCatalog : public SnapshotCatalog {
 public:
  explicit RepoCatalog(Repository& repo) : repo_(repo) {}
  Result<std::vector<Snapshot>> List() override { return repo_.LoadAllSnapshots(); }
  Result<std::unique_ptr<SnapshotReader>> Open(const Snapshot& snapshot) override {
    return std::unique_ptr<SnapshotReader>(new RepoSnapshotReader(repo_, snapshot));
  }
  LocalCache* cache() override { return repo_.cache(); }

 private:
  Repository& repo_;
};

}  // namespace lifeboat
