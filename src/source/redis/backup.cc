#include "source/redis/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/timefmt.h"
#include "crypto/sha256.h"
#include "env/env.h"
#include "env/process.h"
#include "source/redis/rdb.h"
#include "source/redis/restore.h"

namespace lifeboat::redis {
namespace {

// The value of `field` in an INFO reply ("redis_version:7.0.15").
std::string InfoField(const std::string& info, const std::string& field) {
  size_t at = info.find(field + ":");
  if (at == std::string::npos) return "";
  size_t start = at + field.size() + 1;
  size_t end = info.find_first_of("\r\n", start);
  return info.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Reads the server's socket on a thread of its own into at most `cap` bytes
// of blocks. In a transfer the server's fork writes the RDB into a pipe that
// drains only as fast as we read the socket: every moment the parser waits
// on the repository (a pack being written, workers all busy) would stall the
// fork and add to the backup's time once the socket buffer is full. This
// keeps the fork writing.
class SocketPrefetch final : public RdbInput {
 public:
  SocketPrefetch(Connection& c, size_t cap) : c_(c), cap_(cap), thread_([this] { Run(); }) {}
  ~SocketPrefetch() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    c_.ShutdownRead();
    thread_.join();
  }

  Result<size_t> ReadSome(char* buf, size_t n) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !blocks_.empty() || ended_; });
    if (blocks_.empty()) return status_;  // the reader's error
    const std::string& b = blocks_.front();
    size_t k = std::min(n, b.size() - front_pos_);
    std::memcpy(buf, b.data() + front_pos_, k);
    front_pos_ += k;
    held_ -= k;
    if (front_pos_ == b.size()) {
      blocks_.pop_front();
      front_pos_ = 0;
    }
    cv_.notify_all();
    return k;
  }

 private:
  void Run() {
    std::vector<char> buf(256 << 10);
    while (true) {
      Result<size_t> k = c_.ReadSome(buf.data(), buf.size());
      std::unique_lock<std::mutex> lock(mu_);
      if (!k.ok()) {
        status_ = k.status();
        ended_ = true;
        cv_.notify_all();
        return;
      }
      blocks_.emplace_back(buf.data(), *k);
      held_ += *k;
      cv_.notify_all();
      cv_.wait(lock, [this] { return held_ < cap_ || stop_; });
      if (stop_) return;
    }
  }

  Connection& c_;
  size_t cap_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> blocks_;
  size_t front_pos_ = 0;
  size_t held_ = 0;
  bool ended_ = false, stop_ = false;
  Status status_ = Status::Ok();
  std::thread thread_;  // last: starts when the rest is ready
};

// What a transfer may hold of the server's socket ahead of the parser; a
// delta more, since its parser waits until its full is read back.
constexpr size_t kMaxPrefetch = size_t(64) << 20;
constexpr size_t kMaxDeltaPrefetch = size_t(256) << 20;

// The RDB of a replication transfer, passed on to `out` as the parser reads
// it (unless `out` is -1: a delta writes its own). A "$<len>" payload ends after len bytes; a diskless "$EOF:<mark>" one
// where the 40-byte mark appears, which is held back from the output.
class ReplicationInput final : public RdbInput {
 public:
  ReplicationInput(RdbInput& c, int out, std::string mark, uint64_t len)
      : c_(c), out_(out), mark_(std::move(mark)), remaining_(len) {}

  Result<size_t> ReadSome(char* buf, size_t n) override {
    size_t k = 0;
    if (mark_.empty()) {
      if (remaining_ == 0) return size_t{0};
      LB_ASSIGN_OR_RETURN(k, c_.ReadSome(buf, std::min<uint64_t>(n, remaining_)));
      remaining_ -= k;
    } else {
      while (!ended_ && pending_.size() <= mark_.size()) LB_RETURN_IF_ERROR(More());
      size_t ready = ended_ ? pending_.size() : pending_.size() - mark_.size();
      k = std::min(n, ready);
      std::memcpy(buf, pending_.data(), k);
      pending_.erase(0, k);
    }
    if (out_ >= 0) LB_RETURN_IF_ERROR(WriteAll(out_, std::string_view(buf, k), "the RDB stream"));
    bytes_ += k;
    return k;
  }

  // After the parser saw the RDB's end: nothing of the payload may remain.
  Status Finish() {
    if (mark_.empty()) {
      if (remaining_ != 0) return Corrupt("RDB from the server continues past its end marker");
      return Status::Ok();
    }
    while (!ended_) LB_RETURN_IF_ERROR(More());
    if (!pending_.empty()) return Corrupt("RDB from the server continues past its end marker");
    return Status::Ok();
  }
  uint64_t bytes() const { return bytes_; }

 private:
  Status More() {
    char buf[65536];
    LB_ASSIGN_OR_RETURN(size_t k, c_.ReadSome(buf, sizeof buf));
    size_t old = pending_.size();
    pending_.append(buf, k);
    size_t from = old > mark_.size() ? old - mark_.size() : 0;
    size_t at = pending_.find(mark_, from);
    if (at != std::string::npos) {
      pending_.resize(at);  // what follows the mark is the replication stream
      ended_ = true;
    }
    return Status::Ok();
  }

  RdbInput& c_;
  int out_;
  std::string mark_;
  uint64_t remaining_;
  std::string pending_;
  bool ended_ = false;
  uint64_t bytes_ = 0;
};

// A file (the BGSAVE fallback), passed on to `out` (unless -1) as it is read.
class FileInput final : public RdbInput {
 public:
  FileInput(int fd, int out) : fd_(fd), out_(out) {}
  Result<size_t> ReadSome(char* buf, size_t n) override {
    ssize_t k;
    do {
      k = read(fd_, buf, n);
    } while (k < 0 && errno == EINTR);
    if (k < 0) return ErrnoStatus("read the RDB file", errno);
    if (out_ >= 0) {
      LB_RETURN_IF_ERROR(WriteAll(out_, std::string_view(buf, static_cast<size_t>(k)), "the RDB stream"));
    }
    return static_cast<size_t>(k);
  }

 private:
  int fd_, out_;
};

// The fields of a delta, the same in the manifest and the summary.
void AddDeltaFields(const RedisManifest& m, nlohmann::json* j) {
  if (m.type != "delta") return;
  (*j)["base_snapshot"] = m.base_snapshot;
  (*j)["base_keys"] = m.base_keys;
  (*j)["changed"] = m.changed;
  (*j)["added"] = m.added;
  (*j)["deleted"] = m.deleted;
  (*j)["delta_bytes"] = m.delta_bytes;
  if (!m.base_read.empty()) (*j)["base_read"] = m.base_read;
}

}  // namespace

std::string RedisManifest::ToJson() const {
  nlohmann::json j{{"kind", kind},
                   {"source", source},
                   {"redis_version", redis_version},
                   {"rdb_version", rdb_version},
                   {"method", method},
                   {"rdb_bytes", rdb_bytes},
                   {"functions", functions},
                   {"fingerprint", nlohmann::json::parse(fingerprint.ToJson())},
                   {"type", type}};
  if (!key_table.empty()) j["key_table"] = key_table;
  AddDeltaFields(*this, &j);
  return j.dump(1) + "\n";
}

Result<RedisManifest> RedisManifest::FromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("kind", std::string()) != "redis") {
    return Corrupt("redis manifest: damaged");
  }
  RedisManifest m;
  try {
    m.source = j.value("source", std::string());
    m.redis_version = j.value("redis_version", std::string());
    m.rdb_version = j.value("rdb_version", 0);
    m.method = j.value("method", std::string());
    m.rdb_bytes = j.value("rdb_bytes", uint64_t{0});
    m.functions = j.value("functions", uint64_t{0});
    m.type = j.value("type", std::string("full"));
    m.base_snapshot = j.value("base_snapshot", std::string());
    m.base_keys = j.value("base_keys", uint64_t{0});
    m.changed = j.value("changed", uint64_t{0});
    m.added = j.value("added", uint64_t{0});
    m.deleted = j.value("deleted", uint64_t{0});
    m.delta_bytes = j.value("delta_bytes", uint64_t{0});
    m.key_table = j.value("key_table", std::string());
    m.base_read = j.value("base_read", std::string());
  } catch (const nlohmann::json::exception&) {
    return Corrupt("redis manifest: a field has the wrong type");
  }
  if (!j.contains("fingerprint") || !Fingerprint::FromJson(j["fingerprint"].dump(), &m.fingerprint)) {
    return Corrupt("redis manifest: damaged fingerprint");
  }
  if (m.type != "full" && (m.type != "delta" || m.base_snapshot.empty())) {
    return Corrupt("redis manifest: type \"" + m.type + "\" without a full to build on");
  }
  return m;
}

RedisBackup::RedisBackup(Endpoint ep, RedisBackupOptions options) : ep_(std::move(ep)), options_(std::move(options)) {
  manifest_.source = ep_.Display();
}

Status RedisBackup::Prepare(SnapshotCatalog& catalog) {
  cache_ = catalog.cache();
  LB_ASSIGN_OR_RETURN(auto c, Connection::Open(ep_, options_.timeout));
  LB_ASSIGN_OR_RETURN(Reply info, c->Command({"INFO", "server"}));
  if (info.ok()) manifest_.redis_version = InfoField(info.str, "redis_version");
  if (options_.type == "full") return Status::Ok();
  return PlanDelta(catalog);
}

Status RedisBackup::PlanDelta(SnapshotCatalog& catalog) {
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, catalog.List());
  // The newest full of this server; deltas after it name it too.
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!it->HasTag(kRedisTag) || it->paths != SnapshotPaths()) continue;
    LB_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader, catalog.Open(*it));
    auto text = reader->ReadFile(kManifestPath);
    auto m = text.ok() ? RedisManifest::FromJson(*text) : Result<RedisManifest>(text.status());
    if (!m.ok()) {
      warnings_.push_back("snapshot " + it->id.Short() + " of this server has no readable manifest (" +
                          m.status().message() + "): looking further back for a full");
      continue;
    }
    if (m->type != "full") continue;
    double age_days = static_cast<double>(Now().sec - it->time.sec) / 86400.0;
    if (options_.type == "auto" && age_days >= static_cast<double>(options_.full_after_days)) return Status::Ok();
    LB_ASSIGN_OR_RETURN(base_rdb_, reader->Find(kRdbPath));
    base_table_ = m->key_table;
    manifest_.type = "delta";
    manifest_.base_snapshot = it->id.Hex();
    manifest_.base_keys = m->fingerprint.total_keys();
    base_ = std::move(reader);
    return Status::Ok();
  }
  if (options_.type == "delta") {
    warnings_.push_back("no full backup of " + manifest_.source + " in the repository: taking a full one");
  }
  return Status::Ok();
}

std::string RedisBackup::TableName(const std::string& digest) const {
  return std::string(kKeyTableFolder) + "/" + HexEncode(Sha256(manifest_.source)).substr(0, 16) + "-" +
         digest;
}

Status RedisBackup::LoadBase() {
  const std::string full = "the full backup " + base_->snapshot().id.Short();
  table_.Reserve(manifest_.base_keys);
  // The full's key table from the local cache, if it kept one there and
  // it is the one its manifest names.
  if (cache_ && !base_table_.empty()) {
    auto data = cache_->Get(TableName(base_table_));
    if (data.ok() && HexEncode(Sha256(*data)) == base_table_ && table_.Decode(*data).ok()) {
      manifest_.base_read = "cache";
    } else if (data.ok() || data.status().code() != Code::kNotFound) {
      warnings_.push_back(
          "the local cache's key table of " + full + " is unusable (" +
          (data.ok() ? std::string("not the one its manifest names") : data.status().message()) +
          "): read the full back instead");
      table_ = KeyTable();
      table_.Reserve(manifest_.base_keys);
    }
  }
  if (manifest_.base_read.empty()) {
    RdbOptions o;
    o.hash_raw = true;
    o.digests = false;
    auto sum = ParseStoredRdb(*base_, kRdbPath, o, [&](RdbEntry& e) {
      table_.Add(KeyIdOf(e.db, e.key), RecordCheck(e));
      return Status::Ok();
    });
    if (!sum.ok()) return sum.status().WithContext("the full backup a delta builds on");
    manifest_.base_read = "repository";
    // The next delta need not read it back: keep the table if it is the
    // one the full names (a full made before lifeboat kept tables names
    // none).
    if (cache_ && !base_table_.empty()) {
      std::string data = table_.Encode();
      if (HexEncode(Sha256(data)) == base_table_) {
        if (Status put = cache_->Put(TableName(base_table_), data); !put.ok())
          warnings_.push_back("could not keep the key table of " + full +
                              " in the local cache: " + put.message());
      }
    }
  }
  // Tables of this server's older fulls are no use any more: deltas build
  // on the newest full.
  if (cache_ && !base_table_.empty()) {
    const std::string keep = TableName(base_table_),
                      prefix = keep.substr(0, keep.size() - base_table_.size());
    if (auto names = cache_->List(kKeyTableFolder); names.ok()) {
      for (const std::string& n : *names) {
        if (n.starts_with(prefix) && n != keep) (void)cache_->Remove(n);
      }
    }
  }
  return table_.Seal().WithContext(full);
}

Status RedisBackup::WaitBase() {
  if (loader_.joinable()) loader_.join();
  return loaded_;
}

Status RedisBackup::OnRecord(RdbEntry& e) {
  if (!delta()) {
    table_.Add(KeyIdOf(e.db, e.key), RecordCheck(e));
    return Status::Ok();
  }
  KeyId id = KeyIdOf(e.db, e.key);
  size_t i = table_.Find(id);
  if (i != KeyTable::kNone) {
    table_.MarkSeen(i);
    if (table_.check(i) == RecordCheck(e)) return Status::Ok();
    dropped_.push_back(id);
    ++manifest_.changed;
  } else {
    ++manifest_.added;
  }
  if (!writer_->begun()) LB_RETURN_IF_ERROR(writer_->Begin(e.rdb_version));
  return writer_->Entry(e);
}

Status RedisBackup::FinishRecords(const RdbSummary& sum) {
  manifest_.rdb_version = sum.version;
  manifest_.functions = sum.functions;
  manifest_.fingerprint = sum.fingerprint;
  if (!delta()) return Status::Ok();
  if (!writer_->begun()) LB_RETURN_IF_ERROR(writer_->Begin(sum.version));
  for (const std::string& code : sum.function_code) LB_RETURN_IF_ERROR(writer_->Function(code));
  LB_RETURN_IF_ERROR(writer_->Finish());
  manifest_.delta_bytes = writer_->bytes();
  std::vector<KeyId> gone = table_.Unseen();
  manifest_.deleted = gone.size();
  dropped_.insert(dropped_.end(), gone.begin(), gone.end());
  return Status::Ok();
}

void RedisBackup::Abort() {
  // The engine has closed the pipe's read end: the producer fails with
  // EPIPE (or its server timeout) and ends.
  if (producer_.joinable()) producer_.join();
}

RedisBackup::~RedisBackup() {
  if (producer_.joinable()) producer_.join();
}

Result<int> RedisBackup::OpenRdb() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe for the RDB stream", errno);
  fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  producer_ = std::thread([this, out = p[1]] {
    producer_status_ = Transfer(out);
    close(out);
  });
  return p[0];
}

Status RedisBackup::FinishRdb() {
  if (producer_.joinable()) producer_.join();
  return producer_status_;
}

Status RedisBackup::Transfer(int out) {
  if (delta()) {
    loader_ = std::thread([this] { loaded_ = LoadBase(); });
    writer_ = std::make_unique<RdbWriter>(
        [out](std::string_view data) { return WriteAll(out, data, "the delta RDB stream"); });
  }
  bool refused = false;
  Status s = TransferByReplication(out, &refused);
  if (refused) {
    if (options_.data_dir.empty()) {
      s = Status(Code::kAccessDenied, ep_.Display() + " refuses replication (" + s.message() +
                                          ") and no --redis-data-dir was given for the BGSAVE fallback");
    } else {
      s = TransferByBgsave(out);
    }
  }
  Status base = WaitBase();  // on every path: the loader uses this object
  return s.ok() ? base : s;
}

Status RedisBackup::TransferByReplication(int out, bool* refused) {
  LB_ASSIGN_OR_RETURN(auto c, Connection::Open(ep_, options_.timeout));
  // Redis 7: send the RDB and nothing after it. Older servers answer an
  // error, and stream commands after the RDB, which we do not read.
  LB_RETURN_IF_ERROR(c->Command({"REPLCONF", "rdb-only", "1"}).status());
  LB_RETURN_IF_ERROR(c->Command({"REPLCONF", "capa", "eof"}).status());  // diskless, if the server does it
  std::string header;
  for (const char* cmd : {"SYNC", "PSYNC"}) {
    if (std::string(cmd) == "SYNC")
      LB_RETURN_IF_ERROR(c->Append({"SYNC"}));
    else
      LB_RETURN_IF_ERROR(c->Append({"PSYNC", "?", "-1"}));
    LB_RETURN_IF_ERROR(c->Flush());
    // The master sends newlines while it prepares the RDB.
    char first = '\n';
    while (first == '\n') LB_RETURN_IF_ERROR(c->ReadExact(&first, 1));
    LB_ASSIGN_OR_RETURN(std::string rest, c->ReadLine());
    std::string line = std::string(1, first) + rest;
    if (line.starts_with("+FULLRESYNC")) {
      first = '\n';
      while (first == '\n') LB_RETURN_IF_ERROR(c->ReadExact(&first, 1));
      LB_ASSIGN_OR_RETURN(rest, c->ReadLine());
      line = std::string(1, first) + rest;
    }
    if (line.starts_with("$")) {
      header = line;
      break;
    }
    if (line.starts_with("-ERR unknown command") || line.starts_with("-NOPERM")) {
      *refused = true;
      s_refusal_ = line.substr(1);
      continue;
    }
    return IoError(ep_.Display() + " answered " + cmd + " with: " + line.substr(0, 200));
  }
  if (header.empty()) return Status(Code::kAccessDenied, s_refusal_);
  *refused = false;
  std::string mark;
  uint64_t len = 0;
  if (header.starts_with("$EOF:")) {
    mark = header.substr(5);
    if (mark.size() != 40) return Corrupt(ep_.Display() + ": diskless transfer with a malformed end mark");
  } else {
    char* end = nullptr;
    len = std::strtoull(header.c_str() + 1, &end, 10);
    if (*end != '\0') return Corrupt(ep_.Display() + ": replication payload header \"" + header + "\"");
  }
  manifest_.method = "replication";
  // The socket is read from here on, also while a delta waits for its full.
  SocketPrefetch socket(*c, delta() ? kMaxDeltaPrefetch : kMaxPrefetch);
  ReplicationInput in(socket, delta() ? -1 : out, mark, len);
  if (delta()) LB_RETURN_IF_ERROR(WaitBase());
  RdbOptions ro;
  ro.capture_raw = delta();
  ro.hash_raw = true;
  auto sum = ParseRdb(in, ro, [this](RdbEntry& e) { return OnRecord(e); });
  if (!sum.ok()) return sum.status().WithContext("the RDB from " + ep_.Display());
  LB_RETURN_IF_ERROR(in.Finish());
  manifest_.rdb_bytes = in.bytes();
  return FinishRecords(*sum);
}

Status RedisBackup::TransferByBgsave(int out) {
  LB_ASSIGN_OR_RETURN(auto c, Connection::Open(ep_, options_.timeout));
  std::string filename = "dump.rdb";
  auto cfg = c->Command({"CONFIG", "GET", "dbfilename"});
  if (cfg.ok() && cfg->type == Reply::kArray && cfg->elements.size() == 2) filename = cfg->elements[1].str;
  LB_ASSIGN_OR_RETURN(Reply before, c->Command({"INFO", "persistence"}));
  std::string last_save = InfoField(before.str, "rdb_last_save_time");
  LB_ASSIGN_OR_RETURN(Reply started, c->Command({"BGSAVE"}));
  if (!started.ok() && started.str.find("already in progress") == std::string::npos) {
    return IoError(ep_.Display() + ": BGSAVE: " + started.str);
  }
  // Wait for the save to finish: rdb_bgsave_in_progress back to 0 with a
  // newer rdb_last_save_time (LASTSAVE has a one-second resolution too, so
  // the fork counter decides: rdb_saves in Redis 7).
  std::string saves_before = InfoField(before.str, "rdb_saves");
  auto start = std::chrono::steady_clock::now();
  int delay_ms = 10;
  while (true) {
    LB_ASSIGN_OR_RETURN(Reply p, c->Command({"INFO", "persistence"}));
    bool done = InfoField(p.str, "rdb_bgsave_in_progress") == "0" &&
                (saves_before.empty() ? InfoField(p.str, "rdb_last_save_time") != last_save
                                      : InfoField(p.str, "rdb_saves") != saves_before);
    if (done) {
      if (InfoField(p.str, "rdb_last_bgsave_status") != "ok")
        return IoError(ep_.Display() + ": BGSAVE failed (see the server log)");
      break;
    }
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (waited > options_.timeout * 60) return IoError(ep_.Display() + ": BGSAVE did not finish in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    delay_ms = std::min(delay_ms * 2, 500);
  }
  std::string path = options_.data_dir + "/" + filename;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path + " (--redis-data-dir)", errno);
  manifest_.method = "bgsave";
  FileInput in(fd, delta() ? -1 : out);
  if (Status base = WaitBase(); !base.ok()) {
    close(fd);
    return base;
  }
  RdbOptions ro;
  ro.capture_raw = delta();
  ro.hash_raw = true;
  auto sum = ParseRdb(in, ro, [this](RdbEntry& e) { return OnRecord(e); });
  close(fd);
  if (!sum.ok()) return sum.status().WithContext(path);
  manifest_.rdb_bytes = sum->bytes;
  return FinishRecords(*sum);
}

std::vector<Item> RedisBackup::Items() {
  std::vector<Item> items;
  std::string path = delta() ? kDeltaRdbPath : kRdbPath;
  items.push_back(StreamItem{path.substr(1), [this] { return OpenRdb(); }, [this] { return FinishRdb(); }});
  if (delta()) items.push_back(StoredFileItem{std::string(kBaseRdbPath).substr(1), base_rdb_});
  return items;
}

Result<std::vector<Item>> RedisBackup::Stop() {
  std::vector<Item> items;
  if (!delta()) {
    // The key table a delta compares against, named in the manifest and
    // kept in the local cache, so that a delta need not read this RDB back.
    std::string data = table_.Encode();
    table_ = KeyTable();
    manifest_.key_table = HexEncode(Sha256(data));
    if (cache_) {
      if (Status put = cache_->Put(TableName(manifest_.key_table), data); !put.ok())
        warnings_.push_back("could not keep the key table in the local cache (" + put.message() +
                            "): the next delta reads this full back");
    }
  }
  if (delta()) {
    std::string ids = EncodeKeyIds(std::move(dropped_));
    items.push_back(StreamItem{std::string(kDroppedPath).substr(1),
                               [ids = std::move(ids)] { return FdFromString(ids); }, nullptr});
  }
  items.push_back(StreamItem{std::string(kManifestPath).substr(1),
                             [this] { return FdFromString(manifest_.ToJson()); }, nullptr});
  return items;
}

Report RedisBackup::Summary() const {
  const RedisManifest& m = manifest_;
  Report r;
  r.lines.push_back("Redis:       " + m.source + " (server " + m.redis_version + ", RDB version " +
                    std::to_string(m.rdb_version) + ")");
  r.lines.push_back("Transfer:    " + HumanBytes(m.rdb_bytes) + " of RDB by " +
                    (m.method == "replication" ? "the replication protocol (nothing written on the server)"
                                               : "BGSAVE and the dump file (the server refused replication)"));
  if (m.type == "delta") {
    r.lines.push_back("Delta:       against the full " + m.base_snapshot.substr(0, 8) + " (" +
                      std::to_string(m.base_keys) + " keys): " + std::to_string(m.changed) + " changed, " +
                      std::to_string(m.added) + " added, " + std::to_string(m.deleted) + " deleted, " +
                      HumanBytes(m.delta_bytes) + " of records stored; the full's key table " +
                      (m.base_read == "cache" ? "from the local cache" : "read back from the repository"));
  }
  for (const auto& [db, f] : m.fingerprint.dbs) {
    char line[256];
    std::snprintf(line, sizeof line, "db%-9d %llu keys, %llu with a TTL, digest %s", db, (unsigned long long)f.keys,
                  (unsigned long long)f.expires, f.digest.Hex().c_str());
    r.lines.push_back(line);
  }
  nlohmann::json j{{"source", m.source},
                   {"redis_version", m.redis_version},
                   {"rdb_version", m.rdb_version},
                   {"method", m.method},
                   {"rdb_bytes", m.rdb_bytes},
                   {"keys", m.fingerprint.total_keys()},
                   {"fingerprint", nlohmann::json::parse(m.fingerprint.ToJson())},
                   {"type", m.type}};
  if (!m.key_table.empty()) j["key_table"] = m.key_table;
  AddDeltaFields(m, &j);
  r.json = j.dump();
  return r;
}

}  // namespace lifeboat::redis
