#include "repo/repository.h"

#include <algorithm>
#include <iterator>
#include <thread>

#include "base/bytes.h"
#include "base/thread_pool.h"
#include "io/zstd.h"

namespace lifeboat {
namespace {

// Index files are kept below this many packs and blobs (restic starts a new
// index file at 50,000 blobs), so that reading one takes little memory.
constexpr size_t kPacksPerIndexFile = 256;
constexpr size_t kBlobsPerIndexFile = 50000;
// While a backup runs, an index file is written after this many new packs, so
// that an interrupted backup leaves most of its packs indexed.
constexpr size_t kIndexFlushPacks = 32;

}  // namespace

Status Repository::Init(Storage& storage, const Secret& password, const KdfParams& params,
                        int version, std::optional<uint64_t> polynomial) {
  if (password.empty()) return InvalidArgument("an empty password is not allowed");
  LB_RETURN_IF_ERROR(storage.Create());
  RepoConfig config = RepoConfig::New();
  config.version = version;
  if (polynomial) config.polynomial = *polynomial;
  MasterKey master = MasterKey::Random();
  LB_ASSIGN_OR_RETURN(KeyFile kf, KeyFile::Create(password, master, params));
  std::string key_json = kf.ToJson();
  LB_RETURN_IF_ERROR(storage.Save(FileType::kKey, Id::Hash(key_json).Hex(), key_json));
  // The config is never compressed: restic reads it before it knows the version.
  return storage.Save(FileType::kConfig, "config", master.Seal(config.ToJson()));
}

Result<std::unique_ptr<Repository>> Repository::Open(std::unique_ptr<Storage> storage,
                                                     const Secret& password) {
  std::string where = storage->Location();
  auto config_size = storage->Size(FileType::kConfig, "config");
  if (!config_size.ok()) {
    if (config_size.status().code() == Code::kNotFound) {
      return Status(Code::kNotRepository,
                    where + " is not a lifeboat or restic repository (no config file; \"lifeboat init\" creates one)");
    }
    return config_size.status().WithContext("open repository " + where);
  }
  std::vector<ObjectInfo> keys;
  LB_RETURN_IF_ERROR(storage->List(FileType::kKey, [&](const ObjectInfo& o) { keys.push_back(o); }));
  if (keys.empty()) {
    return Status(Code::kNotRepository,
                  where + " is not a lifeboat or restic repository (it has a config file but no keys/)");
  }
  // Damaged key files are skipped, as restic does. One whose KDF parameters
  // pass the bounds is never run: it is named in the error, and when no
  // other key file could have been the user's it is the error (kCorrupt).
  Status refused;
  bool any_usable = false;
  for (const ObjectInfo& o : keys) {
    auto text = storage->Load(FileType::kKey, o.name);
    if (!text.ok()) continue;
    auto kf = KeyFile::FromJson(*text);
    if (!kf.ok()) continue;
    if (Status limits = kf->params.CheckLimits(); !limits.ok()) {
      refused = limits.WithContext("key " + o.name + " in " + where);
      continue;
    }
    any_usable = true;
    auto master = kf->Open(password);
    if (!master.ok()) continue;
    LB_ASSIGN_OR_RETURN(std::string sealed_config, storage->Load(FileType::kConfig, "config"));
    auto plain = master->Open(sealed_config);
    if (!plain.ok()) return plain.status().WithContext("config of " + where);
    std::string_view json = *plain;
    std::string decompressed;
    if (!json.empty() && json[0] == 2) {
      LB_ASSIGN_OR_RETURN(decompressed, ZstdDecompress(json.substr(1)));
      json = decompressed;
    }
    auto config = RepoConfig::FromJson(json);
    if (!config.ok()) return config.status().WithContext("config of " + where);
    return std::unique_ptr<Repository>(
        new Repository(std::move(storage), std::move(*master), o.name, std::move(*config)));
  }
  if (!refused.ok() && !any_usable) return refused;
  std::string note = refused.ok() ? "" : " (" + refused.message() + ")";
  return Status(Code::kWrongPassword, "wrong password or no key found for " + where + note);
}

Repository::Repository(std::unique_ptr<Storage> storage, MasterKey key, std::string key_name,
                       RepoConfig config)
    : storage_(std::move(storage)),
      key_(std::move(key)),
      key_name_(std::move(key_name)),
      config_(std::move(config)),
      zstd_level_(kDefaultZstdLevel) {}

void Repository::EnableCache(const std::string& root) {
  if (root.empty()) {
    cache_.reset();
    return;
  }
  cache_ = std::make_unique<LocalCache>(root + "/" + config_.id, key_);
}

Repository::~Repository() {
  {
    std::lock_guard<std::mutex> lock(upload_mu_);
    upload_stop_ = true;
  }
  upload_cv_.notify_all();
  if (uploader_.joinable()) uploader_.join();
}

size_t MaxUnpackedSize(FileType type) {
  switch (type) {
    case FileType::kIndex: return kMaxIndexFileSize;
    case FileType::kSnapshot: return kMaxSnapshotFileSize;
    default: return kMaxSmallFileSize;
  }
}

Result<std::string> DecodeUnpacked(FileType type, std::string plain) {
  const size_t limit = MaxUnpackedSize(type);
  if (!plain.empty() && plain[0] == 2) return ZstdDecompress(std::string_view(plain).substr(1), 0, limit);
  if (plain.size() > limit) {
    return Corrupt(std::to_string(plain.size()) + " bytes, more than the " + HumanBytes(limit) + " a " +
                   std::string(FileTypeName(type)) + " file may hold");
  }
  if (!plain.empty() && (plain[0] == '{' || plain[0] == '[')) return plain;
  return Corrupt("unknown encoding version");
}

Result<std::string> Repository::LoadUnpacked(FileType type, const Id& id) {
  std::string what = std::string(FileTypeName(type)) + " " + id.Hex();
  LB_ASSIGN_OR_RETURN(std::string sealed, storage_->Load(type, id.Hex()));
  if (Id::Hash(sealed) != id) return Corrupt(what + ": content does not match its name");
  auto plain = key_.Open(sealed);
  if (!plain.ok()) return plain.status().WithContext(what);
  auto decoded = DecodeUnpacked(type, std::move(*plain));
  if (!decoded.ok()) return decoded.status().WithContext(what);
  return decoded;
}

Result<Id> Repository::SaveUnpacked(FileType type, std::string_view plaintext) {
  std::string sealed;
  if (config_.version >= 2) {
    std::string encoded = "\x02" + ZstdCompress(plaintext);
    sealed = key_.Seal(encoded);
  } else {
    sealed = key_.Seal(plaintext);
  }
  Id id = Id::Hash(sealed);
  LB_RETURN_IF_ERROR(storage_->Save(type, id.Hex(), sealed));
  return id;
}

Result<std::vector<Id>> Repository::ListIds(FileType type) {
  std::vector<Id> ids;
  LB_RETURN_IF_ERROR(storage_->List(type, [&](const ObjectInfo& o) {
    if (auto id = Id::FromHex(o.name)) ids.push_back(*id);
  }));
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<Id> Repository::ResolvePrefix(FileType type, std::string_view prefix) {
  std::string want(prefix);
  std::transform(want.begin(), want.end(), want.begin(), ::tolower);
  if (want.empty()) return InvalidArgument("empty id");
  LB_ASSIGN_OR_RETURN(std::vector<Id> ids, ListIds(type));
  std::optional<Id> found;
  for (const Id& id : ids) {
    if (id.Hex().compare(0, want.size(), want) == 0) {
      if (found) {
        return InvalidArgument(std::string(FileTypeName(type)) + " id prefix \"" + want +
                               "\" is ambiguous");
      }
      found = id;
    }
  }
  if (!found) return NotFound("no " + std::string(FileTypeName(type)) + " matches \"" + want + "\"");
  return *found;
}

Result<Snapshot> Repository::LoadSnapshot(const Id& id) {
  LB_ASSIGN_OR_RETURN(std::string json, LoadUnpacked(FileType::kSnapshot, id));
  auto s = Snapshot::FromJson(json);
  if (!s.ok()) return s.status().WithContext("snapshot " + id.Hex());
  s->id = id;
  return s;
}

Result<std::vector<Snapshot>> Repository::LoadAllSnapshots() {
  LB_ASSIGN_OR_RETURN(std::vector<Id> ids, ListIds(FileType::kSnapshot));
  std::vector<Snapshot> out;
  for (const Id& id : ids) {
    LB_ASSIGN_OR_RETURN(Snapshot s, LoadSnapshot(id));
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.time < b.time || (a.time == b.time && a.id < b.id);
  });
  return out;
}

Status Repository::LoadIndex(bool adopt_orphans) {
  LB_ASSIGN_OR_RETURN(std::vector<Id> files, ListIds(FileType::kIndex));
  // Index files are read, decrypted and parsed on every core; adding them to
  // the index is serialized by the index's own lock.
  LB_RETURN_IF_ERROR(ParallelFor(files.size(), ThreadPool::DefaultThreads(), [&](size_t i) -> Status {
    LB_ASSIGN_OR_RETURN(std::string json, LoadUnpacked(FileType::kIndex, files[i]));
    auto packs = ParseIndexJson(json, nullptr);
    std::string().swap(json);
    if (!packs.ok()) return packs.status().WithContext("index " + files[i].Hex());
    for (const IndexedPack& p : *packs) index_.AddPack(p.id, p.blobs);
    return Status::Ok();
  }));
  for (const Id& file : files) index_files_.push_back(file);
  index_.Compact();
  if (!adopt_orphans) return Status::Ok();
  // Packs that no index names were written by a backup that was interrupted
  // before it wrote its index. Their blobs are good: read the headers, index
  // them, and let this backup reuse them.
  std::vector<ObjectInfo> orphans;
  LB_RETURN_IF_ERROR(storage_->List(FileType::kPack, [&](const ObjectInfo& o) {
    auto id = Id::FromHex(o.name);
    if (id && !index_.HasPack(*id)) orphans.push_back(o);
  }));
  std::vector<IndexedPack> adopted;
  for (const ObjectInfo& o : orphans) {
    Id id = *Id::FromHex(o.name);
    auto blobs = ReadPackHeader(*storage_, key_, id, o.size);
    if (!blobs.ok()) continue;  // damaged or still being written elsewhere: leave it to check/prune
    index_.AddPack(id, *blobs);
    adopted.push_back(IndexedPack{id, std::move(*blobs)});
  }
  if (!adopted.empty()) {
    std::lock_guard<std::mutex> lock(unindexed_mu_);
    for (auto& p : adopted) unindexed_.push_back(std::move(p));
  }
  return Status::Ok();
}

Result<std::string> Repository::LoadBlob(BlobType type, const Id& id) {
  auto loc = index_.Lookup(type, id);
  if (!loc) return NotFound(std::string(BlobTypeName(type)) + " blob " + id.Hex() + " is not in the index");
  auto sealed = storage_->Load(FileType::kPack, loc->pack.Hex(), loc->blob.offset, loc->blob.length);
  if (!sealed.ok()) {
    return sealed.status().WithContext(std::string(BlobTypeName(type)) + " blob " + id.Short() +
                                       " in pack " + loc->pack.Hex());
  }
  auto plain = OpenBlob(key_, loc->blob, *sealed);
  if (!plain.ok()) {
    return plain.status().WithContext(std::string(BlobTypeName(type)) + " blob " + id.Short() +
                                      " in pack " + loc->pack.Hex());
  }
  return plain;
}

bool Repository::KnowsBlob(BlobType type, const Id& id) {
  if (index_.Has(type, id)) return true;
  std::lock_guard<std::mutex> lock(pending_mu_);
  return pending_[static_cast<int>(type)].count(id) != 0;
}

namespace {

// A per-thread buffer for compressed blobs: allocating (and zeroing)
// megabytes for every blob would cost more than the copy it saves.
struct Scratch {
  std::unique_ptr<char[]> data;
  size_t capacity = 0;
  char* Reserve(size_t n) {
    if (n > capacity) {
      data.reset(new char[n]);
      capacity = n;
    }
    return data.get();
  }
};
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

Result<bool> Repository::SaveBlob(BlobType type, const Id& id, std::string_view plaintext, bool force) {
  int t = static_cast<int>(type);
  if (!force && index_.Has(type, id)) return false;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    if (!pending_[t].insert(id).second) return false;
  }
  {
    std::lock_guard<std::mutex> lock(upload_mu_);
    if (!upload_error_.ok()) return upload_error_;
  }
  // Compress outside any lock; keep compression only if it helps.
  uint32_t uncompressed_length = 0;
  std::string_view payload = plaintext;
  if (int level = zstd_level_.load(std::memory_order_relaxed); config_.version >= 2 && level > 0) {
    Scratch& scratch = ThreadScratch();
    size_t bound = ZstdBound(plaintext.size());
    char* out = scratch.Reserve(bound);
    size_t n = ZstdCompressTo(plaintext, out, bound, level);
    if (n != 0 && n < plaintext.size()) {
      payload = std::string_view(out, n);
      uncompressed_length = static_cast<uint32_t>(plaintext.size());
    }
  }
  write_stats_.stored_bytes += payload.size() + kCryptoOverhead;
  write_stats_.blob_bytes += plaintext.size();
  (type == BlobType::kTree ? write_stats_.tree_blobs : write_stats_.data_blobs)++;

  // Encrypt straight into the pack (AES-CTR and Poly1305 run at several GB/s,
  // cheaper under the lock than a second copy of the blob). Lock order:
  // packer_mu_, then upload_mu_.
  std::lock_guard<std::mutex> lock(packer_mu_[t]);
  // Close the pack before this blob would overflow it, so the buffer never
  // grows past its reservation (a regrowth would double it). The hand-over
  // waits, under this lock, until the uploader is free: at most one pack
  // fills while one uploads.
  size_t sealed = payload.size() + kCryptoOverhead;
  if (packer_[t] && packer_[t]->count() > 0 && packer_[t]->size() + sealed > kPackSize) {
    LB_RETURN_IF_ERROR(QueuePack(std::move(packer_[t])));
  }
  if (!packer_[t]) packer_[t] = std::make_unique<PackBuilder>(type == BlobType::kData ? kPackSize : 0);
  packer_[t]->Seal(key_, type, id, payload, uncompressed_length);
  return true;
}

Status Repository::QueuePack(std::unique_ptr<PackBuilder> pack) {
  std::unique_lock<std::mutex> lock(upload_mu_);
  if (!uploader_.joinable()) uploader_ = std::thread([this] { UploadLoop(); });
  // Backpressure: hand over only when the uploader is free, so at most one
  // pack is in flight while the next one fills (memory stays at two packs).
  upload_cv_.wait(lock, [this] {
    return (upload_queue_.empty() && uploads_running_ == 0) || !upload_error_.ok();
  });
  if (!upload_error_.ok()) return upload_error_;
  upload_queue_.push_back(std::move(pack));
  upload_cv_.notify_all();
  return Status::Ok();
}

void Repository::UploadLoop() {
  std::unique_lock<std::mutex> lock(upload_mu_);
  for (;;) {
    upload_cv_.wait(lock, [this] { return upload_stop_ || !upload_queue_.empty(); });
    if (upload_queue_.empty()) return;
    std::unique_ptr<PackBuilder> pack = std::move(upload_queue_.front());
    upload_queue_.pop_front();
    ++uploads_running_;
    upload_cv_.notify_all();
    lock.unlock();
    Status s = UploadPack(*pack);
    pack.reset();
    lock.lock();
    --uploads_running_;
    if (!s.ok() && upload_error_.ok()) upload_error_ = s;
    upload_cv_.notify_all();
  }
}

Status Repository::DrainUploads() {
  std::unique_lock<std::mutex> lock(upload_mu_);
  upload_cv_.wait(lock, [this] { return upload_queue_.empty() && uploads_running_ == 0; });
  return upload_error_;
}

Status Repository::UploadPack(PackBuilder& pack) {
  std::vector<PackedBlob> blobs = pack.blobs();
  std::string_view bytes = pack.Finish(key_);
  Id id = Id::Hash(bytes);
  bool trees = !blobs.empty() && std::all_of(blobs.begin(), blobs.end(),
                                             [](const PackedBlob& b) { return b.type == BlobType::kTree; });
  LB_RETURN_IF_ERROR(storage_->SavePack(id.Hex(), bytes, trees ? PackContent::kTree : PackContent::kData));
  write_stats_.packs++;
  // Only now, with the pack durable, may the index name it.
  index_.AddPack(id, blobs);
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    for (const PackedBlob& b : blobs) pending_[static_cast<int>(b.type)].erase(b.id);
  }
  std::vector<IndexedPack> batch;
  {
    std::lock_guard<std::mutex> lock(unindexed_mu_);
    unindexed_.push_back(IndexedPack{id, std::move(blobs)});
    if (unindexed_.size() >= kIndexFlushPacks) batch.swap(unindexed_);
  }
  if (!batch.empty()) return WriteIndexFile(std::move(batch));
  return Status::Ok();
}

Status Repository::WriteIndexFile(std::vector<IndexedPack> packs) {
  size_t start = 0;
  while (start < packs.size()) {
    size_t end = start, blobs = 0;
    while (end < packs.size() && end - start < kPacksPerIndexFile &&
           (end == start || blobs + packs[end].blobs.size() <= kBlobsPerIndexFile)) {
      blobs += packs[end].blobs.size();
      ++end;
    }
    std::vector<IndexedPack> part(std::make_move_iterator(packs.begin() + static_cast<long>(start)),
                                  std::make_move_iterator(packs.begin() + static_cast<long>(end)));
    LB_ASSIGN_OR_RETURN(Id id, SaveUnpacked(FileType::kIndex, EncodeIndexJson(part, {})));
    std::lock_guard<std::mutex> lock(unindexed_mu_);  // packs are saved from many threads
    index_files_.push_back(id);
    start = end;
  }
  return Status::Ok();
}

Result<std::vector<Id>> Repository::WriteIndex(std::vector<IndexedPack> packs) {
  size_t before;
  {
    std::lock_guard<std::mutex> lock(unindexed_mu_);
    before = index_files_.size();
  }
  LB_RETURN_IF_ERROR(WriteIndexFile(std::move(packs)));
  std::lock_guard<std::mutex> lock(unindexed_mu_);
  return std::vector<Id>(index_files_.begin() + static_cast<long>(before), index_files_.end());
}

Status Repository::Flush() {
  for (int t = 0; t < 2; ++t) {
    std::unique_ptr<PackBuilder> last;
    {
      std::lock_guard<std::mutex> lock(packer_mu_[t]);
      last = std::move(packer_[t]);
    }
    if (last && last->count() > 0) LB_RETURN_IF_ERROR(QueuePack(std::move(last)));
  }
  LB_RETURN_IF_ERROR(DrainUploads());
  std::vector<IndexedPack> batch;
  {
    std::lock_guard<std::mutex> lock(unindexed_mu_);
    batch.swap(unindexed_);
  }
  if (!batch.empty()) return WriteIndexFile(std::move(batch));
  return Status::Ok();
}

}  // namespace lifeboat
