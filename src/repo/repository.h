// Repository: an opened repository — storage, master key, config and index —
// and the operations on its files: unpacked files (snapshots, index, locks)
// and blobs in packs.
//
// Thread safety: after Open, all methods may be called concurrently, except
// LoadIndex (call once, before concurrent use).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "crypto/crypto.h"
#include "repo/config.h"
#include "repo/id.h"
#include "repo/index.h"
#include "repo/keyfile.h"
#include "repo/local_cache.h"
#include "repo/pack.h"
#include "repo/snapshot.h"
#include "storage/storage.h"

namespace lifeboat {

// Counters of what a repository wrote; read them for summaries.
struct WriteStats {
  std::atomic<uint64_t> data_blobs{0};
  std::atomic<uint64_t> tree_blobs{0};
  std::atomic<uint64_t> blob_bytes{0};    // plaintext bytes of new blobs
  std::atomic<uint64_t> stored_bytes{0};  // bytes added to packs, after compression and encryption
  std::atomic<uint64_t> packs{0};
};

// Bounds on what one unpacked repository file may decode to (blobs have
// theirs in pack.h). Far above what restic or lifeboat write (index files
// are split at 50,000 blobs, a few MiB), they stop a damaged or hostile file
// from allocating without limit: past them the file is kCorrupt.
constexpr size_t kMaxIndexFileSize = size_t(256) << 20;
constexpr size_t kMaxSnapshotFileSize = size_t(16) << 20;
constexpr size_t kMaxSmallFileSize = size_t(1) << 20;  // config, key, lock
size_t MaxUnpackedSize(FileType type);
// Decodes the plaintext of an unpacked file once its MAC passed: format v2's
// zstd form (byte 2, then a frame) or plain JSON, within MaxUnpackedSize.
Result<std::string> DecodeUnpacked(FileType type, std::string plain);

class Repository {
 public:
  // Creates a new repository in `storage` with one key for `password`.
  static Status Init(Storage& storage, const Secret& password, const KdfParams& params,
                     int version = 2, std::optional<uint64_t> polynomial = std::nullopt);

  // Opens an existing repository. kNotRepository if there is no config,
  // kWrongPassword if no key file opens with the password.
  static Result<std::unique_ptr<Repository>> Open(std::unique_ptr<Storage> storage,
                                                  const Secret& password);
  ~Repository();

  Storage& storage() { return *storage_; }
  const RepoConfig& config() const { return config_; }
  const MasterKey& key() const { return key_; }
  const std::string& key_name() const { return key_name_; }
  MasterIndex& index() { return index_; }
  WriteStats& write_stats() { return write_stats_; }
  // The zstd level SaveBlob compresses new blobs at (format v2); 0 stores
  // them uncompressed. Default: kDefaultZstdLevel.
  void set_compression(int level) { zstd_level_ = level; }
  // The local cache in ROOT/<repository id> (local_cache.h); none until
  // enabled, and none for an empty ROOT.
  void EnableCache(const std::string& root);
  LocalCache* cache() const { return cache_.get(); }

  // --- unpacked files ---------------------------------------------------
  // Loads, checks the name against the content hash, decrypts and decodes.
  Result<std::string> LoadUnpacked(FileType type, const Id& id);
  // Encodes (compressed in format v2), encrypts and stores; returns the id.
  Result<Id> SaveUnpacked(FileType type, std::string_view plaintext);
  Result<std::vector<Id>> ListIds(FileType type);
  // Resolves a full id or a unique hex prefix of one.
  Result<Id> ResolvePrefix(FileType type, std::string_view prefix);

  Result<Snapshot> LoadSnapshot(const Id& id);
  Result<std::vector<Snapshot>> LoadAllSnapshots();

  // --- index -----------------------------------------------------------
  // Reads every index file. Then adds packs that no index names (left by an
  // interrupted backup) by reading their headers, when `adopt_orphans`.
  Status LoadIndex(bool adopt_orphans = false);
  // Names of the index files LoadIndex read and this process wrote.
  // REQUIRES: no concurrent SaveBlob/Flush.
  const std::vector<Id>& index_files() const { return index_files_; }

  // --- blobs -----------------------------------------------------------
  // Reads, authenticates, decompresses and hash-checks a blob.
  Result<std::string> LoadBlob(BlobType type, const Id& id);

  // Stores a blob unless the repository has it (or another thread is storing
  // it). Returns true if this call stored it. The blob is durable only after
  // Flush. Full packs are written by a background uploader; an upload error
  // is returned by a later SaveBlob or by Flush.
  // With `force`, stores it even if the index knows it (prune's repacking).
  Result<bool> SaveBlob(BlobType type, const Id& id, std::string_view plaintext, bool force = false);
  // True if the blob is stored or being stored (a cheap pre-check for
  // callers that would otherwise compress it for nothing).
  bool KnowsBlob(BlobType type, const Id& id);
  // Writes all open packs and an index file for every pack not yet indexed.
  Status Flush();
  // Writes index files listing exactly `packs` (split like every index
  // file); returns their ids. For prune, which then deletes the old ones.
  Result<std::vector<Id>> WriteIndex(std::vector<IndexedPack> packs);

  // Bytes of packs to aim for.
  static constexpr size_t kPackSize = 16 << 20;

 private:
  Repository(std::unique_ptr<Storage> storage, MasterKey key, std::string key_name,
             RepoConfig config);
  // Hands a full pack to the uploader; blocks while it is busy.
  Status QueuePack(std::unique_ptr<PackBuilder> pack);
  Status UploadPack(PackBuilder& pack);
  void UploadLoop();
  // Waits until every queued pack is stored; returns the first upload error.
  Status DrainUploads();
  Status WriteIndexFile(std::vector<IndexedPack> packs);

  std::unique_ptr<Storage> storage_;
  MasterKey key_;
  std::string key_name_;
  RepoConfig config_;
  MasterIndex index_;
  std::vector<Id> index_files_;
  WriteStats write_stats_;
  std::atomic<int> zstd_level_;
  std::unique_ptr<LocalCache> cache_;

  std::mutex pending_mu_;
  std::unordered_set<Id, IdHash> pending_[2];  // blobs being stored, by type

  std::mutex packer_mu_[2];
  std::unique_ptr<PackBuilder> packer_[2];

  std::mutex upload_mu_;
  std::condition_variable upload_cv_;
  std::deque<std::unique_ptr<PackBuilder>> upload_queue_;
  int uploads_running_ = 0;
  bool upload_stop_ = false;
  Status upload_error_;
  std::thread uploader_;

  std::mutex unindexed_mu_;              // guards unindexed_ and index_files_
  std::vector<IndexedPack> unindexed_;  // saved packs awaiting an index file
};

}  // namespace lifeboat
