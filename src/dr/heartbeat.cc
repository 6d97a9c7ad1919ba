#include "dr/heartbeat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "dr/health.h"
#include "env/env.h"

namespace lifeboat {
namespace {

constexpr char kFileName[] = ".lifeboat-heartbeat";

std::string SqlLiteral(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Writes `data` to `path` through PATH.tmp, fsync and a rename, so a reader
// sees the old contents or the new.
Status ReplaceFile(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus("create " + tmp, errno);
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && fsync(fd) != 0) s = ErrnoStatus("fsync " + tmp, errno);
  close(fd);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus("rename into " + path, errno);
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

std::string RedisKey(const DrService& s) { return "lifeboat:heartbeat:" + s.name; }

}  // namespace

Status WriteHeartbeat(const DrService& service, const DrEndpoint& at, int64_t ms, double timeout) {
  const std::string what = "heartbeat of " + service.name;
  if (service.type == "postgres") {
    const std::string name = SqlLiteral(service.name);
    const std::string sql =
        "CREATE TABLE IF NOT EXISTS lifeboat_heartbeat (service text PRIMARY KEY, beat_ms bigint NOT NULL, "
        "at timestamptz NOT NULL DEFAULT now()); "
        "INSERT INTO lifeboat_heartbeat (service, beat_ms) VALUES (" +
        name + ", " + std::to_string(ms) +
        ") ON CONFLICT (service) DO UPDATE SET beat_ms = excluded.beat_ms, at = now()";
    auto r = QueryValue("sql", at, sql, timeout);
    return r.ok() ? Status::Ok() : r.status().WithContext(what);
  }
  if (service.type == "redis") {
    auto r = QueryValue("redis", at, "SET " + RedisKey(service) + " " + std::to_string(ms), timeout);
    return r.ok() ? Status::Ok() : r.status().WithContext(what);
  }
  if (service.type == "files") {
    return ReplaceFile(at.path + "/" + kFileName, std::to_string(ms) + "\n", 0644).WithContext(what);
  }
  return InvalidArgument(what + ": no heartbeat for a " + service.type + " service");
}

Result<std::optional<int64_t>> ReadHeartbeat(const DrService& service, const DrEndpoint& at, double timeout) {
  const std::string what = "heartbeat of " + service.name;
  std::string value;
  if (service.type == "postgres") {
    // The table may be missing: the data restored predates the first beat.
    auto table = QueryValue("sql", at, "SELECT to_regclass('lifeboat_heartbeat') IS NOT NULL", timeout);
    if (!table.ok()) return table.status().WithContext(what);
    if (*table != "t") return std::optional<int64_t>();
    auto r = QueryValue("sql", at,
                        "SELECT beat_ms FROM lifeboat_heartbeat WHERE service = " + SqlLiteral(service.name),
                        timeout);
    if (!r.ok()) return r.status().WithContext(what);
    value = *r;
  } else if (service.type == "redis") {
    auto r = QueryValue("redis", at, "GET " + RedisKey(service), timeout);
    if (!r.ok()) return r.status().WithContext(what);
    value = *r;
  } else if (service.type == "files") {
    auto r = ReadWholeFile(at.path + "/" + kFileName);
    if (!r.ok()) {
      if (r.status().code() == Code::kNotFound) return std::optional<int64_t>();
      return r.status().WithContext(what);
    }
    value = *r;
  } else {
    return InvalidArgument(what + ": no heartbeat for a " + service.type + " service");
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  if (value.empty()) return std::optional<int64_t>();
  char* end = nullptr;
  long long ms = std::strtoll(value.c_str(), &end, 10);
  if (end == value.c_str() || *end != '\0') return Corrupt(what + ": \"" + value + "\" is not a time");
  return std::optional<int64_t>(ms);
}

std::map<std::string, int64_t> LoadHeartbeatLog(const std::string& state_dir) {
  std::map<std::string, int64_t> out;
  auto text = ReadWholeFile(state_dir + "/dr-heartbeats.json");
  if (!text.ok()) return out;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_number_integer()) out[k] = v.get<int64_t>();
  }
  return out;
}

int64_t BeatNow() {
  Timestamp now = Now();
  return now.sec * 1000 + now.nsec / 1000000;
}

Result<int64_t> Beat(const DrService& service, const DrEndpoint& at, const std::string& state_dir,
                     double timeout_seconds) {
  const int64_t ms = BeatNow();
  LB_RETURN_IF_ERROR(WriteHeartbeat(service, at, ms, timeout_seconds));
  LB_RETURN_IF_ERROR(NoteHeartbeat(state_dir, service.name, ms));
  return ms;
}

Status NoteHeartbeat(const std::string& state_dir, const std::string& service, int64_t ms) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return IoError("create " + state_dir + ": " + ec.message());
  std::map<std::string, int64_t> log = LoadHeartbeatLog(state_dir);
  log[service] = std::max(log[service], ms);
  nlohmann::json j = log;
  return ReplaceFile(state_dir + "/dr-heartbeats.json", j.dump() + "\n", 0644);
}

}  // namespace lifeboat
