#include "source/redis/verify.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <unordered_set>

#include "env/env.h"
#include "env/process.h"
#include "source/redis/backup.h"
#include "source/redis/rdb.h"
#include "source/redis/restore.h"

namespace lifeboat::redis {
namespace {

// True once the child has exited (a zombie until Wait reaps it).
bool ProcessEnded(pid_t pid) {
  auto text = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat");
  if (!text.ok()) return true;
  size_t paren = text->rfind(')');
  return paren == std::string::npos || paren + 2 >= text->size() || (*text)[paren + 2] == 'Z';
}

Result<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus("find a free port", err);
  }
  close(fd);
  return static_cast<int>(ntohs(a.sin_port));
}

Result<Reply> Must(Connection& c, const std::vector<std::string>& cmd) {
  LB_ASSIGN_OR_RETURN(Reply r, c.Command(cmd));
  if (!r.ok()) return IoError(cmd[0] + ": " + r.str);
  return r;
}

// How the server returns a value of each type: the command, and how its
// reply feeds the canonical digest (digest.h). Lists come in pages.
constexpr long kListPage = 1000;

Kind KindOf(const std::string& type) {
  if (type == "string") return Kind::kString;
  if (type == "list") return Kind::kList;
  if (type == "set") return Kind::kSet;
  if (type == "hash") return Kind::kHash;
  if (type == "zset") return Kind::kZset;
  if (type == "stream") return Kind::kStream;
  return Kind::kModule;  // a module type: not comparable by commands
}

std::vector<std::string> ValueCommand(Kind kind, const std::string& key, long list_start = 0) {
  switch (kind) {
    case Kind::kString: return {"GET", key};
    case Kind::kList: return {"LRANGE", key, std::to_string(list_start), std::to_string(list_start + kListPage - 1)};
    case Kind::kSet: return {"SMEMBERS", key};
    case Kind::kHash: return {"HGETALL", key};
    case Kind::kZset: return {"ZRANGE", key, "0", "-1", "WITHSCORES"};
    case Kind::kStream: return {"XRANGE", key, "-", "+"};
    default: return {};
  }
}

// Feeds a value reply into d. For a list, true in *more when a full page
// came (ask for the next).
Status DigestReply(Kind kind, const std::string& key, const Reply& r, ValueDigest& d, bool* more) {
  *more = false;
  if (!r.ok()) return IoError("reading " + key + ": " + r.str);
  switch (kind) {
    case Kind::kString: d.String(r.str); break;
    case Kind::kList:
      for (const auto& e : r.elements) d.ListElement(e.str);
      *more = r.elements.size() == static_cast<size_t>(kListPage);
      break;
    case Kind::kSet:
      for (const auto& e : r.elements) d.SetMember(e.str);
      break;
    case Kind::kHash:
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) d.HashField(r.elements[i].str, r.elements[i + 1].str);
      break;
    case Kind::kZset:
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        d.ZsetMember(r.elements[i].str, std::strtod(r.elements[i + 1].str.c_str(), nullptr));
      }
      break;
    case Kind::kStream:
      for (const auto& e : r.elements) {
        if (e.elements.size() != 2) return Corrupt("XRANGE " + key + ": unexpected reply");
        const std::string& id = e.elements[0].str;
        uint64_t ms = std::strtoull(id.c_str(), nullptr, 10);
        uint64_t seq = std::strtoull(id.c_str() + id.find('-') + 1, nullptr, 10);
        std::string fv;
        for (const auto& f : e.elements[1].elements) AppendField(&fv, f.str);
        d.StreamEntry(ms, seq, fv);
      }
      break;
    default: break;
  }
  return Status::Ok();
}

// Sends every command, then reads every reply: one round trip for a batch.
Result<std::vector<Reply>> Pipeline(Connection& c, const std::vector<std::vector<std::string>>& cmds) {
  for (const auto& cmd : cmds) LB_RETURN_IF_ERROR(c.Append(cmd));
  LB_RETURN_IF_ERROR(c.Flush());
  std::vector<Reply> out;
  out.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    LB_ASSIGN_OR_RETURN(Reply r, c.ReadReply());
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

bool VerifyReport::ok() const {
  if (!check_rdb.empty()) return false;
  for (const auto& d : dbs) {
    if (!d.ok) return false;
  }
  return true;
}

Result<Fingerprint> FingerprintLive(Connection& c, const std::vector<int>& dbs,
                                    std::map<int, std::map<std::string, Digest128>>* per_key) {
  Fingerprint fp;
  for (int db : dbs) {
    LB_RETURN_IF_ERROR(Must(c, {"SELECT", std::to_string(db)}).status());
    fp.dbs[db];                            // present even when empty
    std::unordered_set<std::string> seen;  // SCAN may return a key twice
    std::string cursor = "0";
    do {
      LB_ASSIGN_OR_RETURN(Reply r, Must(c, {"SCAN", cursor, "COUNT", "1000"}));
      if (r.elements.size() != 2) return Corrupt("SCAN: unexpected reply");
      cursor = r.elements[0].str;
      // A batch in three round trips, not three per key: TYPE and PTTL of
      // every key, then every value, then any further list pages.
      std::vector<std::string> keys;
      for (const auto& k : r.elements[1].elements) {
        if (seen.insert(k.str).second) keys.push_back(k.str);
      }
      std::vector<std::vector<std::string>> cmds;
      for (const auto& k : keys) {
        cmds.push_back({"TYPE", k});
        cmds.push_back({"PTTL", k});
      }
      LB_ASSIGN_OR_RETURN(std::vector<Reply> meta, Pipeline(c, cmds));
      std::vector<Kind> kinds;
      cmds.clear();
      for (size_t i = 0; i < keys.size(); ++i) {
        if (!meta[2 * i].ok()) return IoError("TYPE " + keys[i] + ": " + meta[2 * i].str);
        kinds.push_back(KindOf(meta[2 * i].str));
        std::vector<std::string> cmd = ValueCommand(kinds.back(), keys[i]);
        if (!cmd.empty()) cmds.push_back(std::move(cmd));
      }
      LB_ASSIGN_OR_RETURN(std::vector<Reply> values, Pipeline(c, cmds));
      size_t next = 0;
      for (size_t i = 0; i < keys.size(); ++i) {
        Kind kind = kinds[i];
        Digest128 value{};
        if (kind != Kind::kModule) {
          ValueDigest d(kind);
          bool more = false;
          LB_RETURN_IF_ERROR(DigestReply(kind, keys[i], values[next++], d, &more));
          for (long start = kListPage; more; start += kListPage) {
            LB_ASSIGN_OR_RETURN(Reply page, Must(c, ValueCommand(kind, keys[i], start)));
            LB_RETURN_IF_ERROR(DigestReply(kind, keys[i], page, d, &more));
          }
          value = d.Finish();
        }
        fp.AddKey(db, keys[i], kind, value, meta[2 * i + 1].integer >= 0);
        if (per_key) (*per_key)[db][keys[i]] = KeyRecordDigest(keys[i], kind, value);
      }
    } while (cursor != "0");
  }
  return fp;
}

Result<VerifyReport> VerifySnapshot(SnapshotReader& reader) {
  const Snapshot& snap = reader.snapshot();
  auto start = std::chrono::steady_clock::now();
  VerifyReport rep;
  rep.snapshot = snap.id.Short();
  LB_ASSIGN_OR_RETURN(std::string mtext, reader.ReadFile(kManifestPath));
  LB_ASSIGN_OR_RETURN(RedisManifest m, RedisManifest::FromJson(mtext));
  rep.source = m.source;
  std::string server = FindInPath("redis-server"), checker = FindInPath("redis-check-rdb");
  if (server.empty()) return NotFound("verify needs redis-server (apt-get install redis-server)");
  std::string dir =
      std::filesystem::temp_directory_path() / ("lifeboat-verify-redis-" + std::to_string(getpid()));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoStatus("create " + dir, ec.value());
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code e;
      std::filesystem::remove_all(dir, e);
    }
  } cleanup{dir};
  LB_RETURN_IF_ERROR(RestoreToDataDir(reader, dir, false));
  if (!checker.empty()) {
    SubprocessOptions co;
    co.argv = {checker, dir + "/dump.rdb"};
    co.stdout_mode = SubprocessOptions::Io::kPipe;
    LB_ASSIGN_OR_RETURN(auto p, Subprocess::Start(co));
    std::string out;  // its report goes to stdout: a few lines
    char buf[4096];
    ssize_t n;
    while ((n = read(p->stdout_fd(), buf, sizeof buf)) > 0) {
      if (out.size() < (1 << 20)) out.append(buf, static_cast<size_t>(n));
    }
    Status s = p->Wait();
    if (!s.ok()) {
      // "[offset 9] Can't handle RDB format version 11": the line after
      // its error banner says what is wrong.
      size_t banner = out.find("--- RDB ERROR DETECTED ---");
      size_t at = banner == std::string::npos ? std::string::npos : out.find('\n', banner);
      std::string why = at == std::string::npos ? "" : out.substr(at + 1, out.find('\n', at + 1) - at - 1);
      rep.check_rdb = why.empty() ? s.message() : why;
    }
  }
  LB_ASSIGN_OR_RETURN(int port, FreePort());
  SubprocessOptions so;
  so.argv = {server,
             "--port",
             std::to_string(port),
             "--bind",
             "127.0.0.1",
             "--dir",
             dir,
             "--daemonize",
             "no",
             "--save",
             "",
             "--appendonly",
             "no",
             "--protected-mode",
             "yes"};
  so.stdout_mode = SubprocessOptions::Io::kNull;
  LB_ASSIGN_OR_RETURN(auto proc, Subprocess::Start(so));
  Endpoint ep;
  ep.port = port;
  std::unique_ptr<Connection> c;
  for (int i = 0; i < 600 && !c; ++i) {  // until it accepts and has loaded the RDB (bounded: 60 s)
    auto conn = Connection::Open(ep, 2);
    if (conn.ok()) {
      auto ping = (*conn)->Command({"PING"});
      if (ping.ok() && ping->ok()) c = std::move(*conn);
    } else if (conn.status().code() != Code::kUnavailable &&
               conn.status().message().find("LOADING") == std::string::npos) {
      return conn.status().WithContext("scratch redis-server");
    }
    if (!c && ProcessEnded(proc->pid())) break;  // it refused the RDB: no use waiting
    if (!c) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!c) {
    proc->Terminate();
    (void)proc->Wait();
    rep.check_rdb = rep.check_rdb.empty()
                        ? "the scratch redis-server did not load the RDB: " + proc->stderr_tail()
                        : rep.check_rdb;
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return rep;
  }
  std::vector<int> dbs;
  for (const auto& [db, f] : m.fingerprint.dbs) dbs.push_back(db);
  LB_ASSIGN_OR_RETURN(Reply ks, c->Command({"INFO", "keyspace"}));
  for (size_t at = 0; (at = ks.str.find("\ndb", at)) != std::string::npos; ++at) {
    int db = std::atoi(ks.str.c_str() + at + 3);
    if (!m.fingerprint.dbs.count(db)) dbs.push_back(db);
  }
  std::map<int, std::map<std::string, Digest128>> live_keys;
  auto live = FingerprintLive(*c, dbs, &live_keys);
  c->Command({"SHUTDOWN", "NOSAVE"}).status().IgnoreError();
  c.reset();
  (void)proc->Wait();
  if (!live.ok()) return live.status().WithContext("read back from the scratch redis-server");
  std::map<int, std::string> first_bad;
  for (int db : dbs) {
    DbVerdict v;
    v.db = db;
    v.want = m.fingerprint.dbs.count(db) ? m.fingerprint.dbs.at(db) : DbFingerprint{};
    v.got = live->dbs[db];
    v.ok = v.want.keys == v.got.keys && v.want.expires == v.got.expires && v.want.digest == v.got.digest;
    rep.dbs.push_back(v);
  }
  // Name a key for each database that differs: the stored RDB's own
  // records against the server's.
  bool any_bad = false;
  for (const auto& v : rep.dbs) any_bad = any_bad || !v.ok;
  if (any_bad) {
    std::map<int, std::unordered_set<std::string>> in_rdb;
    auto parsed = ReadSnapshotRecords(reader, RdbOptions{}, [&](RdbEntry& e) {
      in_rdb[e.db].insert(e.key);
      if (first_bad.count(e.db)) return Status::Ok();
      auto& lk = live_keys[e.db];
      auto it = lk.find(e.key);
      if (it == lk.end())
        first_bad[e.db] = "key \"" + e.key.substr(0, 100) + "\" is missing after the load";
      else if (e.kind != Kind::kModule && !(it->second == KeyRecordDigest(e.key, e.kind, e.digest)))
        first_bad[e.db] = "key \"" + e.key.substr(0, 100) + "\" differs";
      return Status::Ok();
    });
    for (auto& v : rep.dbs) {
      if (v.ok) continue;
      if (!parsed.ok()) {
        v.detail = "the stored RDB does not parse: " + parsed.status().message();
        continue;
      }
      if (first_bad.count(v.db)) {
        v.detail = first_bad[v.db];
      } else {
        for (const auto& [k, d] : live_keys[v.db]) {
          if (!in_rdb[v.db].count(k)) {
            v.detail = "key \"" + k.substr(0, 100) + "\" is not in the RDB";
            break;
          }
        }
        if (v.detail.empty()) v.detail = "the stored RDB does not match its fingerprint";
      }
    }
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return rep;
}

}  // namespace lifeboat::redis
