// Storage: where a repository's files live. One interface, one driver per
// kind of store (local directory now, S3 next), chosen by the repository URL.
//
// The interface asks only what an object store can give: whole-object writes
// that readers see completely or not at all, ranged reads, listing and
// deletion. No renames, no appends. Decorators (retry, fault injection,
// metrics) wrap a Storage instead of living inside drivers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lifeboat {

// kLog is lifeboat's own: the log archive of repo/log_archive.h (wal/,
// named for PostgreSQL's WAL, its first user); restic neither reads nor
// minds it. kResult is lifeboat's too: a record of each restore test and
// check (verify/results.h, results/).
enum class FileType { kConfig, kKey, kLock, kSnapshot, kIndex, kPack, kLog, kResult };

// The directory of a file type in the repository layout ("data", "keys", ...).
std::string_view FileTypeDir(FileType type);
// A name for messages: "pack", "index", ...
std::string_view FileTypeName(FileType type);

// What a pack holds: file contents, or the tree blobs every listing and
// restore reads first. Stores with storage classes keep tree packs with
// the metadata (S3: the metadata class, and a tag the tiering rule of
// `lifecycle apply` leaves alone).
enum class PackContent { kData, kTree };

struct ObjectInfo {
  std::string name;
  uint64_t size = 0;
  std::string storage_class;  // S3's (STANDARD, STANDARD_IA, GLACIER, ...); "" for local files
};

// Thread-safe: all methods may be called concurrently.
class Storage {
 public:
  virtual ~Storage() = default;

  // Human-readable location without credentials, e.g. "/srv/repo".
  virtual std::string Location() const = 0;

  // Prepares an empty repository layout. kAlreadyExists if a config exists.
  virtual Status Create() = 0;

  // Stores `data` under (type, name). Readers see either no file or all of
  // it; a crash in the middle leaves no file under the name. The name of the
  // config file is ignored.
  virtual Status Save(FileType type, std::string_view name, std::string_view data) = 0;

  // Reads `length` bytes at `offset`; length 0 reads to the end. kNotFound if
  // the file is absent, kCorrupt if it is shorter than the range asked for.
  virtual Result<std::string> Load(FileType type, std::string_view name, uint64_t offset = 0,
                                   uint64_t length = 0) = 0;

  // Size of a file; kNotFound if absent.
  virtual Result<uint64_t> Size(FileType type, std::string_view name) = 0;

  // Calls fn for each file of the type, in no particular order.
  virtual Status List(FileType type, const std::function<void(const ObjectInfo&)>& fn) = 0;

  // Deletes a file. Deleting an absent file is not an error.
  virtual Status Remove(FileType type, std::string_view name) = 0;

  // Called before reading many files of a type (restore, check
  // --read-data): a store whose files may sit in an archive tier (S3
  // Glacier) has them restored first and waits, or says why it cannot
  // (kArchived). Others have nothing to do.
  virtual Status PrepareRead(FileType type, const std::vector<std::string>& names) {
    (void)type;
    (void)names;
    return Status::Ok();
  }

  // Save of a pack, saying what it holds. Stores that do not care save it
  // as any other file.
  virtual Status SavePack(std::string_view name, std::string_view data, PackContent content) {
    (void)content;
    return Save(FileType::kPack, name, data);
  }
};

// Options given as -o key=value ("s3.region", ...; docs/s3.md).
using StorageOptions = std::map<std::string, std::string>;

// Opens the storage a repository URL names: a path, "local:PATH" or
// "s3:[https://]HOST[:PORT]/BUCKET[/PREFIX]". The result retries transient
// failures (RetryingStorage); `retrying`, if given, points at that layer
// for its request counters.
class RetryingStorage;
Result<std::unique_ptr<Storage>> OpenStorage(std::string_view url, const StorageOptions& options = {},
                                             RetryingStorage** retrying = nullptr);

}  // namespace lifeboat
