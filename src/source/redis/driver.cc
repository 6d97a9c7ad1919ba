#include "source/redis/driver.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "env/process.h"
#include "source/redis/backup.h"
#include "source/redis/client.h"
#include "source/redis/restore.h"
#include "source/redis/verify.h"

namespace lifeboat::redis {
namespace {

Result<Endpoint> EndpointFrom(const std::string& url, const OptionView& o) {
  EndpointOptions eo;
  eo.password_file = o.Get("redis-password-file");
  eo.cacert = o.Get("cacert");
  return ParseEndpoint(url, eo);
}

Status NeedRedisSnapshot(const Snapshot& s) {
  if (IsRedisSnapshot(s)) return Status::Ok();
  return InvalidArgument("snapshot " + s.id.Short() + " is not a Redis backup");
}

class LiveServer final : public RestoreTarget {
 public:
  LiveServer(Endpoint ep, RestoreOptions o) : ep_(std::move(ep)), o_(o) {}
  std::string Handle() const override { return ep_.Display(); }
  Status Prepare(const Snapshot& s) override { return NeedRedisSnapshot(s); }
  Result<Report> Restore(SnapshotReader& reader) override {
    LB_ASSIGN_OR_RETURN(RestoreSummary r, RestoreToServer(reader, ep_, o_));
    Report rep;
    std::string line = "restored " + std::to_string(r.total()) + " keys of snapshot " +
                       reader.snapshot().id.Short() + " into " + ep_.Display() + " by RESTORE in " +
                       HumanDuration(r.seconds);
    if (r.expired) line += " (" + std::to_string(r.expired) + " keys had expired and were left out)";
    rep.lines.push_back(line);
    nlohmann::json dbs = nlohmann::json::object();
    for (const auto& [db, n] : r.keys) dbs[std::to_string(db)] = n;
    rep.json = nlohmann::json{{"target", ep_.Display()}, {"keys_restored", r.total()},
                              {"keys_by_db", dbs},       {"expired_skipped", r.expired},
                              {"rdb_bytes", r.bytes},    {"total_duration", r.seconds}}
                   .dump();
    return rep;
  }

 private:
  Endpoint ep_;
  RestoreOptions o_;
};

class DataDir final : public RestoreTarget {
 public:
  DataDir(std::string dir, bool replace) : dir_(std::move(dir)), replace_(replace) {}
  std::string Handle() const override { return dir_ + "/dump.rdb"; }
  Status Prepare(const Snapshot& s) override { return NeedRedisSnapshot(s); }
  Result<Report> Restore(SnapshotReader& reader) override {
    LB_RETURN_IF_ERROR(RestoreToDataDir(reader, dir_, replace_));
    Report rep;
    rep.lines.push_back("wrote " + dir_ + "/dump.rdb from snapshot " + reader.snapshot().id.Short() +
                        "; start redis-server with --dir " + dir_ + " (owned by its user)");
    rep.json = nlohmann::json{{"target", dir_ + "/dump.rdb"}}.dump();
    return rep;
  }

 private:
  std::string dir_;
  bool replace_;
};

Report VerifyReportOf(const VerifyReport& rep, const Snapshot& snap) {
  Report out;
  out.lines.push_back("verify Redis snapshot " + rep.snapshot + " of " + rep.source +
                      " in a scratch redis-server");
  out.lines.push_back(std::string(rep.check_rdb.empty() ? "PASS" : "FAIL") + " redis-check-rdb" +
                      (rep.check_rdb.empty() ? "" : ": ") + rep.check_rdb);
  nlohmann::json dbs = nlohmann::json::array();
  for (const auto& d : rep.dbs) {
    char line[512];
    std::snprintf(line, sizeof line, "%s db%d: %llu keys (%llu at backup), %llu with a TTL (%llu)%s%s",
                  d.ok ? "PASS" : "FAIL", d.db, (unsigned long long)d.got.keys,
                  (unsigned long long)d.want.keys, (unsigned long long)d.got.expires,
                  (unsigned long long)d.want.expires, d.detail.empty() ? "" : ": ", d.detail.c_str());
    out.lines.push_back(line);
    dbs.push_back({{"db", d.db},
                   {"ok", d.ok},
                   {"keys", d.got.keys},
                   {"expected_keys", d.want.keys},
                   {"expires", d.got.expires},
                   {"expected_expires", d.want.expires},
                   {"detail", d.detail}});
  }
  out.lines.push_back(std::string(rep.ok() ? "verification passed" : "verification FAILED") + " in " +
                      HumanDuration(rep.seconds));
  out.json =
      nlohmann::json{
          {"snapshot_id", snap.id.Hex()},     {"source", rep.source}, {"ok", rep.ok()},
          {"redis_check_rdb", rep.check_rdb}, {"databases", dbs},     {"total_duration", rep.seconds}}
          .dump();
  return out;
}

// "redis_version:7.0.15" of INFO server → "7.0.15".
std::string InfoField(const std::string& info, const std::string& key) {
  size_t at = info.find(key + ":");
  if (at == std::string::npos) return "";
  size_t start = at + key.size() + 1, end = info.find_first_of("\r\n", start);
  return info.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

int Major(const std::string& version) { return std::atoi(version.c_str()); }

// doctor: the connection and AUTH, the server's version and role, and the
// redis-server and redis-check-rdb that restore tests run here (a scratch
// server older than the source cannot load its RDB).
std::vector<Diagnosis> Diagnose(const std::string& url, const OptionView& o) {
  using Level = Diagnosis::Level;
  std::vector<Diagnosis> out;
  auto ep = EndpointFrom(url, o);
  if (!ep.ok()) {
    out.push_back({Level::kFail, "url", ep.status().message(),
                   "write the source as redis://[USER@]HOST:PORT, the password in --redis-password-file "
                   "(docs/redis.md)"});
    return out;
  }
  auto conn = Connection::Open(*ep, 5);
  if (!conn.ok()) {
    bool auth = conn.status().code() == Code::kAccessDenied;
    out.push_back({Level::kFail, auth ? "authentication" : "connect", conn.status().message(),
                   auth ? "check the password (redis-password-file, REDISCLI_AUTH) and the ACL user"
                        : "start the server, or check host, port, bind and protected-mode"});
    return out;
  }
  auto info = (*conn)->Command({"INFO", "server"});
  std::string version = info.ok() && info->ok() ? InfoField(info->str, "redis_version") : "";
  out.push_back({Level::kPass, "connect",
                 "connected to " + ep->Display() + (version.empty() ? "" : ", Redis " + version), ""});
  auto repl = (*conn)->Command({"INFO", "replication"});
  if (repl.ok() && repl->ok() && InfoField(repl->str, "role") == "slave") {
    out.push_back({Level::kPass, "role",
                   "a replica of " + InfoField(repl->str, "master_host") + ":" +
                       InfoField(repl->str, "master_port") + " (backups from a replica spare the primary)",
                   ""});
  }
  for (const char* tool : {"redis-server", "redis-check-rdb"}) {
    std::string path = FindInPath(tool);
    if (path.empty()) {
      out.push_back({Level::kWarn, tool,
                     std::string("restore tests need ") + tool + " here; it is not in PATH",
                     "apt-get install redis-server"});
      continue;
    }
    if (std::string(tool) != "redis-server") continue;
    auto v = RunForOutput({path, "--version"});  // "Redis server v=7.0.15 sha=..."
    std::string local;
    if (v.ok() && v->find("v=") != std::string::npos) {
      size_t at = v->find("v=") + 2;
      local = v->substr(at, v->find(' ', at) - at);
    }
    if (!version.empty() && !local.empty() && Major(local) < Major(version)) {
      out.push_back({Level::kFail, tool,
                     "redis-server here is " + local + ", older than the source's " + version +
                         ": it cannot load the source's RDB in a restore test",
                     "install redis-server " + std::to_string(Major(version)) + " or newer on this host"});
    } else {
      out.push_back({Level::kPass, tool, path + (local.empty() ? "" : " " + local), ""});
    }
  }
  return out;
}

}  // namespace

Driver RedisDriver() {
  Driver d;
  d.name = "redis";
  d.schemes = {"redis", "rediss"};
  d.owns = [](const Snapshot& s) { return IsRedisSnapshot(s); };
  d.source = [](const std::string& url, const OptionView& o) -> Result<std::unique_ptr<Source>> {
    LB_ASSIGN_OR_RETURN(Endpoint ep, EndpointFrom(url, o));
    RedisBackupOptions ro;
    ro.data_dir = o.Get("redis-data-dir");
    ro.type = o.Has("force") ? "full" : o.Get("type", "auto");
    if (ro.type != "auto" && ro.type != "full" && ro.type != "delta") {
      return InvalidArgument("--type must be full, delta or auto for Redis, not \"" + ro.type + "\"");
    }
    if (o.Has("full-after")) {
      char* end = nullptr;
      std::string v = o.Get("full-after");
      ro.full_after_days = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || ro.full_after_days < 0) {
        return InvalidArgument("--full-after takes a number of days, not \"" + v + "\"");
      }
    }
    return std::unique_ptr<Source>(new RedisBackup(std::move(ep), ro));
  };
  d.target = [](const std::string& url, const OptionView& o) -> Result<std::unique_ptr<RestoreTarget>> {
    LB_ASSIGN_OR_RETURN(Endpoint ep, EndpointFrom(url, o));
    RestoreOptions ro;
    ro.flush = o.Has("flush");
    ro.replace = o.Has("replace");
    return std::unique_ptr<RestoreTarget>(new LiveServer(std::move(ep), ro));
  };
  d.data_dir_target = [](const std::string& dir,
                         const OptionView& o) -> Result<std::unique_ptr<RestoreTarget>> {
    return std::unique_ptr<RestoreTarget>(new DataDir(dir, o.Has("replace")));
  };
  d.dump = [](SnapshotReader& reader, const OptionView&, int fd) -> Status {
    LB_RETURN_IF_ERROR(NeedRedisSnapshot(reader.snapshot()));
    return WriteRdb(reader, fd, "standard output");
  };
  d.verify = [](SnapshotReader& reader, const OptionView&) -> Result<VerifyOutcome> {
    LB_ASSIGN_OR_RETURN(VerifyReport rep, VerifySnapshot(reader));
    return VerifyOutcome{rep.ok(), VerifyReportOf(rep, reader.snapshot())};
  };
  d.diagnose = Diagnose;
  return d;
}

}  // namespace lifeboat::redis
