// The log archive: named files kept outside snapshots — a data system's log
// of changes, as it hands it over file by file (PostgreSQL's WAL segments
// and history files today; Redis's AOF and MongoDB's oplog next). Each file
// is compressed with zstd and encrypted with the repository's master key,
// like restic's unpacked files: IV || AES-256-CTR || Poly1305-AES of
// 0x02 || zstd frame. They live in the storage's log directory (wal/, named
// for its first user; docs/repository-format.md).
//
// Put is what an archive command needs: it returns once the file is
// durably stored (the storage's Save), and it is idempotent — the same name
// with the same contents again succeeds, with other contents fails.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "repo/repository.h"

namespace lifeboat {

class LogArchive {
 public:
  // `noun` names a file in messages: "WAL file".
  LogArchive(Repository& repo, std::string noun) : repo_(repo), noun_(std::move(noun)) {}

  struct PutResult {
    bool already_archived = false;
    uint64_t stored = 0;  // bytes in the repository
  };
  // kAlreadyExists if `name` is archived with other contents.
  Result<PutResult> Put(const std::string& name, std::string_view data);
  // Reads, authenticates and decompresses `name`: kNotFound if it is not
  // archived, kCorrupt (naming it) if it is damaged.
  Result<std::string> Get(const std::string& name);
  // Every archived file (name and stored size), in the storage's order.
  Status List(const std::function<void(const ObjectInfo&)>& fn);
  Status Remove(const std::string& name);

 private:
  Result<std::string> Decode(const std::string& name, std::string_view sealed);
  Repository& repo_;
  std::string noun_;
};

}  // namespace lifeboat
