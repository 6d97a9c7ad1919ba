#include "source/redis/restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <thread>

#include "base/bytes.h"
#include "env/env.h"
#include "source/redis/backup.h"
#include "source/redis/delta.h"
#include "source/redis/rdb.h"

namespace lifeboat::redis {
namespace {

class FdInput final : public RdbInput {
 public:
  explicit FdInput(int fd) : fd_(fd) {}
  Result<size_t> ReadSome(char* buf, size_t n) override {
    ssize_t k;
    do {
      k = read(fd_, buf, n);
    } while (k < 0 && errno == EINTR);
    if (k < 0) return ErrnoStatus("read the stored RDB", errno);
    return static_cast<size_t>(k);
  }

 private:
  int fd_;
};

}  // namespace

Result<RdbSummary> ParseStoredRdb(SnapshotReader& reader, const std::string& path, const RdbOptions& o,
                                  const std::function<Status(RdbEntry&)>& on_entry) {
  LB_ASSIGN_OR_RETURN(Node node, reader.Find(path));
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe", errno);
  Status wrote;
  std::thread writer([&] {
    wrote = reader.CopyFile(node, p[1], "the RDB stream");
    close(p[1]);
  });
  FdInput in(p[0]);
  auto sum = ParseRdb(in, o, on_entry);
  close(p[0]);  // a writer still going gets EPIPE and stops
  writer.join();
  if (!sum.ok()) return sum.status().WithContext("snapshot " + reader.snapshot().id.Short() + " " + path);
  if (!wrote.ok()) return wrote;
  return sum;
}

Result<RdbSummary> ReadSnapshotRecords(SnapshotReader& reader, const RdbOptions& o,
                                       const std::function<Status(RdbEntry&)>& on_entry) {
  LB_ASSIGN_OR_RETURN(std::string mtext, reader.ReadFile(kManifestPath));
  LB_ASSIGN_OR_RETURN(RedisManifest m, RedisManifest::FromJson(mtext));
  if (m.type != "delta") return ParseStoredRdb(reader, kRdbPath, o, on_entry);
  const std::string snap = "snapshot " + reader.snapshot().id.Short();
  LB_ASSIGN_OR_RETURN(std::string ids, reader.ReadFile(kDroppedPath));
  auto dropped = DecodeKeyIds(ids);
  if (!dropped.ok()) return dropped.status().WithContext(snap);
  Fingerprint fp;
  uint64_t skipped = 0;
  LB_ASSIGN_OR_RETURN(RdbSummary base, ParseStoredRdb(reader, kBaseRdbPath, o, [&](RdbEntry& e) -> Status {
                        if (ContainsKeyId(*dropped, KeyIdOf(e.db, e.key))) {
                          ++skipped;
                          return Status::Ok();
                        }
                        fp.AddKey(e.db, e.key, e.kind, e.digest, e.expire_ms >= 0);
                        return on_entry(e);
                      }));
  LB_ASSIGN_OR_RETURN(RdbSummary sum, ParseStoredRdb(reader, kDeltaRdbPath, o, [&](RdbEntry& e) -> Status {
                        fp.AddKey(e.db, e.key, e.kind, e.digest, e.expire_ms >= 0);
                        return on_entry(e);
                      }));
  if (skipped != dropped->size()) {
    return Corrupt(snap + ": " + std::to_string(dropped->size() - skipped) + " of the keys " + kDroppedPath +
                   " drops are not in the full it builds on");
  }
  // Empty databases do not appear in a fingerprint computed from records.
  Fingerprint want = m.fingerprint;
  for (auto it = want.dbs.begin(); it != want.dbs.end();)
    it = it->second.keys == 0 ? want.dbs.erase(it) : std::next(it);
  if (fp.dbs != want.dbs) {
    return Corrupt(snap +
                   ": the full's records and the delta's do not add up to the data set backed up "
                   "(fingerprint differs)");
  }
  sum.version = std::max(sum.version, base.version);
  sum.bytes += base.bytes;
  sum.fingerprint = std::move(fp);
  return sum;
}

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "db0:keys=12,expires=0,avg_ttl=0" lines of INFO keyspace.
std::map<int, uint64_t> Keyspace(const std::string& info) {
  std::map<int, uint64_t> out;
  size_t at = 0;
  while ((at = info.find("\ndb", at)) != std::string::npos) {
    ++at;
    int db = std::atoi(info.c_str() + at + 2);
    size_t k = info.find("keys=", at);
    if (k == std::string::npos) break;
    out[db] = std::strtoull(info.c_str() + k + 5, nullptr, 10);
  }
  return out;
}

}  // namespace

bool IsRedisSnapshot(const Snapshot& s) { return s.HasTag(kRedisTag); }

uint64_t RestoreSummary::total() const {
  uint64_t n = 0;
  for (const auto& [db, k] : keys) n += k;
  return n;
}

Result<RestoreSummary> RestoreToServer(SnapshotReader& reader, const Endpoint& target,
                                       const RestoreOptions& options) {
  auto start = std::chrono::steady_clock::now();
  LB_ASSIGN_OR_RETURN(auto c, Connection::Open(target));
  LB_ASSIGN_OR_RETURN(Reply info, c->Command({"INFO", "keyspace"}));
  auto held = Keyspace(info.str);
  if (!held.empty() && !options.flush && !options.replace) {
    std::string what;
    for (const auto& [db, n] : held)
      what += (what.empty() ? "" : ", ") + ("db" + std::to_string(db)) + ": " + std::to_string(n) + " keys";
    return Status(Code::kAlreadyExists,
                  target.Display() + " is not empty (" + what +
                      "): give --flush to empty it first, or --replace to overwrite the keys "
                      "the snapshot holds");
  }
  if (options.flush) {
    LB_ASSIGN_OR_RETURN(Reply r, c->Command({"FLUSHALL"}));
    if (!r.ok()) return IoError(target.Display() + ": FLUSHALL: " + r.str);
  }
  RestoreSummary sum;
  int db = -1;
  const int64_t now = NowMs();
  std::deque<std::string> pending;  // keys awaiting their reply, oldest first, for the message
  size_t unsent = 0;                // of them, appended but not flushed
  size_t queued_bytes = 0;
  auto read_replies = [&](size_t n) -> Status {
    for (; n > 0; --n) {
      LB_ASSIGN_OR_RETURN(Reply r, c->ReadReply());
      std::string key = std::move(pending.front());
      pending.pop_front();
      if (!r.ok()) {
        return IoError(target.Display() + ": RESTORE of key \"" + key.substr(0, 100) +
                       "\" refused: " + r.str);
      }
    }
    return Status::Ok();
  };
  // Sends this batch, then reads the previous one's replies: the server
  // works on one batch while the next is parsed. Replies are a few bytes
  // each, so neither side's socket buffer fills while the other writes.
  auto send_batch = [&]() -> Status {
    LB_RETURN_IF_ERROR(c->Flush());
    LB_RETURN_IF_ERROR(read_replies(pending.size() - unsent));
    unsent = 0;
    queued_bytes = 0;
    return Status::Ok();
  };
  RdbOptions o;
  o.capture_raw = true;
  auto parsed = ReadSnapshotRecords(reader, o, [&](RdbEntry& e) -> Status {
    if (e.expire_ms >= 0 && e.expire_ms <= now) {
      ++sum.expired;
      return Status::Ok();
    }
    if (e.db != db) {
      LB_RETURN_IF_ERROR(c->Append({"SELECT", std::to_string(e.db)}));
      pending.push_back("(SELECT " + std::to_string(e.db) + ")");
      ++unsent;
      db = e.db;
    }
    std::vector<std::string> cmd = {"RESTORE", e.key, std::to_string(e.expire_ms >= 0 ? e.expire_ms : 0),
                                    DumpPayload(e.raw, e.rdb_version)};
    if (options.replace) cmd.push_back("REPLACE");
    if (e.expire_ms >= 0) cmd.push_back("ABSTTL");
    queued_bytes += cmd[3].size() + e.key.size();
    LB_RETURN_IF_ERROR(c->Append(cmd));
    pending.push_back(e.key);
    ++unsent;
    sum.keys[e.db]++;
    if (unsent >= 512 || queued_bytes >= (8u << 20)) return send_batch();
    return Status::Ok();
  });
  if (!parsed.ok()) return parsed.status();
  LB_RETURN_IF_ERROR(c->Flush());
  LB_RETURN_IF_ERROR(read_replies(pending.size()));
  sum.bytes = parsed->bytes;
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sum;
}

Status RestoreToDataDir(SnapshotReader& reader, const std::string& dir, bool replace) {
  std::string path = dir + "/dump.rdb", tmp = dir + "/.dump.rdb.lifeboat-tmp";
  if (!replace && access(path.c_str(), F_OK) == 0) {
    return Status(Code::kAlreadyExists,
                  path + " exists: give --replace to overwrite it (with the server stopped)");
  }
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("create " + tmp, errno);
  Status s = WriteRdb(reader, fd, tmp);
  if (s.ok() && fsync(fd) != 0) s = ErrnoStatus("fsync " + tmp, errno);
  close(fd);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus("rename into " + path, errno);
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

Status WriteRdb(SnapshotReader& reader, int fd, const std::string& what) {
  LB_ASSIGN_OR_RETURN(std::string mtext, reader.ReadFile(kManifestPath));
  LB_ASSIGN_OR_RETURN(RedisManifest m, RedisManifest::FromJson(mtext));
  if (m.type != "delta") {
    LB_ASSIGN_OR_RETURN(Node node, reader.Find(kRdbPath));
    return reader.CopyFile(node, fd, what);
  }
  // The file's version comes first but is known only at the end: the
  // manifest's is the server's, at least every record's (a server that was
  // upgraded since the full reads the full's older encodings).
  RdbWriter w([&](std::string_view data) { return WriteAll(fd, data, what); });
  LB_RETURN_IF_ERROR(w.Begin(m.rdb_version));
  RdbOptions o;
  o.capture_raw = true;
  int highest = 0;
  LB_ASSIGN_OR_RETURN(RdbSummary sum, ReadSnapshotRecords(reader, o, [&](RdbEntry& e) {
                        highest = std::max(highest, e.rdb_version);
                        return w.Entry(e);
                      }));
  if (highest > m.rdb_version) {
    return Corrupt("snapshot " + reader.snapshot().id.Short() + ": the full's RDB version " +
                   std::to_string(highest) + " is newer than the server's " + std::to_string(m.rdb_version));
  }
  for (const std::string& code : sum.function_code) LB_RETURN_IF_ERROR(w.Function(code));
  return w.Finish();
}

}  // namespace lifeboat::redis
