#include "dr/health.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include "env/process.h"
#include "jobs/hooks.h"
#include "server/http.h"

namespace lifeboat {
namespace {

using Steady = std::chrono::steady_clock;

int RemainingMs(Steady::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
  return ms > 0 ? static_cast<int>(ms) : 0;
}

// Connects to host:port before `deadline`; the socket, or -1 and *why.
int ConnectBefore(const std::string& host, const std::string& port, Steady::time_point deadline,
                  std::string* why) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    *why = "cannot resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, &freeaddrinfo);
  *why = "no address for " + host;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, RemainingMs(deadline));
      if (rc == 0) {
        close(fd);
        *why = "no answer from " + host + ":" + port + " within the timeout";
        return -1;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      return fd;
    }
    *why = host + ":" + port + ": " + std::strerror(errno);
    close(fd);
  }
  return -1;
}

bool SplitHostPort(const std::string& text, std::string* host, std::string* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  *host = text.substr(0, colon);
  *port = text.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  return !host->empty();
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

HealthResult Tcp(const HealthCheck& c, Steady::time_point deadline) {
  HealthResult r;
  std::string host, port;
  if (!SplitHostPort(c.target, &host, &port)) return {false, "tcp " + c.target + ": want host:port", 0};
  int fd = ConnectBefore(host, port, deadline, &r.detail);
  if (fd >= 0) {
    close(fd);
    r.ok = true;
    r.detail = "connected to " + c.target;
  }
  return r;
}

HealthResult Http(const HealthCheck& c, Steady::time_point deadline) {
  HealthResult r;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return {false, "cannot start libcurl", 0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, c.target.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(1, RemainingMs(deadline))));
  curl_easy_setopt(
      curl.get(), CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t n, void*) -> size_t { return size * n; });
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) return {false, MaskUrlPassword(c.target) + ": " + curl_easy_strerror(rc), 0};
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  r.ok = status >= 200 && status < 400;
  r.detail = "HTTP " + std::to_string(status);
  return r;
}

// Runs `query` on at.url: "" and *rows, *first (the first row's first
// column) set, or why not.
std::string SqlExec(const DrEndpoint& at, const std::string& query, Steady::time_point deadline, int* rows,
                    std::string* first) {
  const std::string where = MaskUrlPassword(at.url);
  // libpq takes the URL as it is (in this process: no password in argv);
  // connect_timeout is whole seconds, at least 2 by libpq's rule.
  const std::string timeout = std::to_string(std::max(2, (RemainingMs(deadline) + 999) / 1000));
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {at.url.c_str(), timeout.c_str(), "lifeboat-dr", nullptr};
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1),
                                                    &PQfinish);
  auto first_line = [](const char* msg) {
    std::string s = msg != nullptr ? msg : "";
    size_t nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
  };
  if (PQstatus(conn.get()) != CONNECTION_OK) return where + ": " + first_line(PQerrorMessage(conn.get()));
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);  // "already exists, skipping"
  const std::string limit = "SET statement_timeout = " + std::to_string(std::max(1, RemainingMs(deadline)));
  PQclear(PQexec(conn.get(), limit.c_str()));
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), query.c_str()), &PQclear);
  ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    return where + ": " + first_line(PQresultErrorMessage(res.get()));
  }
  *rows = PQntuples(res.get());
  first->clear();
  if (*rows > 0 && PQnfields(res.get()) > 0) *first = PQgetvalue(res.get(), 0, 0);
  return "";
}

HealthResult Sql(const HealthCheck& c, const DrEndpoint& at, Steady::time_point deadline) {
  int rows = 0;
  std::string first;
  std::string err = SqlExec(at, c.target, deadline, &rows, &first);
  if (!err.empty()) return {false, err, 0};
  return {true, std::to_string(rows) + (rows == 1 ? " row" : " rows"), 0};
}

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]: `command` (split on spaces)
// sent as RESP after AUTH (and SELECT for a DB). "" and *value (a simple
// or integer reply's text, a bulk string's contents, "" for nil), or why
// not; an error reply is a failure.
std::string RedisExec(const DrEndpoint& at, const std::string& command, Steady::time_point deadline,
                      std::string* value) {
  const std::string where = MaskUrlPassword(at.url);
  std::string rest = at.url.substr(at.url.find("://") + 3);
  std::string user, password;
  if (size_t atsign = rest.rfind('@'); atsign != std::string::npos) {
    std::string cred = rest.substr(0, atsign);
    rest = rest.substr(atsign + 1);
    size_t colon = cred.find(':');
    user = PercentDecode(colon == std::string::npos ? "" : cred.substr(0, colon));
    password = PercentDecode(colon == std::string::npos ? cred : cred.substr(colon + 1));
  }
  std::string db;
  if (size_t slash = rest.find('/'); slash != std::string::npos) db = rest.substr(slash + 1);
  rest = rest.substr(0, rest.find('/'));
  std::string host = rest, port = "6379";
  if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  std::string why;
  int fd = ConnectBefore(host, port, deadline, &why);
  if (fd < 0) return where + ": " + why;
  auto resp = [](const std::vector<std::string>& words) {
    std::string out = "*" + std::to_string(words.size()) + "\r\n";
    for (const std::string& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
    return out;
  };
  auto reply = [&](std::string* line) -> bool {  // the next line of the reply
    line->clear();
    char ch;
    while (true) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, RemainingMs(deadline)) <= 0) return false;
      if (read(fd, &ch, 1) != 1) return false;
      if (ch == '\n') break;
      if (ch != '\r') *line += ch;
    }
    return true;
  };
  std::vector<std::string> words;
  for (size_t i = 0; i < command.size();) {
    size_t sp = command.find(' ', i);
    if (sp == std::string::npos) sp = command.size();
    if (sp > i) words.push_back(command.substr(i, sp - i));
    i = sp + 1;
  }
  if (words.empty()) {
    close(fd);
    return "no redis command";
  }
  std::vector<std::pair<std::string, std::string>> before;  // what: the command sent first
  std::string out;
  if (!password.empty()) {
    out += user.empty() ? resp({"AUTH", password}) : resp({"AUTH", user, password});
    before.push_back({"AUTH", ""});
  }
  if (!db.empty() && db != "0") {
    out += resp({"SELECT", db});
    before.push_back({"SELECT", ""});
  }
  out += resp(words);
  std::string line;
  bool ok = write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size());
  for (const auto& b : before) {
    ok = ok && reply(&line);
    if (ok && line.rfind('-', 0) == 0) {
      close(fd);
      return where + ": " + b.first + " refused: " + line.substr(1);
    }
  }
  ok = ok && reply(&line);
  if (ok && line.rfind('$', 0) == 0) {
    // A bulk string: its contents on the next line (-1: nil). Heartbeats
    // and counts have no line breaks in them.
    if (line == "$-1") {
      line = "";
    } else {
      ok = reply(&line);
      line = "+" + line;
    }
  }
  close(fd);
  if (!ok) return where + ": no answer to " + words[0] + " within the timeout";
  if (line.rfind('-', 0) == 0) return where + ": " + line.substr(1);
  *value = line.size() >= 1 && (line[0] == '+' || line[0] == ':') ? line.substr(1) : line;
  return "";
}

HealthResult Redis(const HealthCheck& c, const DrEndpoint& at, Steady::time_point deadline) {
  std::string value;
  std::string err = RedisExec(at, c.target, deadline, &value);
  if (!err.empty()) return {false, err, 0};
  return {true, value, 0};
}

HealthResult Command(const HealthCheck& c, Steady::time_point deadline) {
  SubprocessOptions o;
  o.argv = c.argv;
  std::string found = FindInPath(o.argv[0]);
  if (!found.empty()) o.argv[0] = found;
  o.stdout_mode = SubprocessOptions::Io::kNull;
  o.unsetenv = {"LIFEBOAT_PASSWORD", "LIFEBOAT_FROM_PASSWORD", "REDISCLI_AUTH",
                "PGPASSWORD",        "AWS_SECRET_ACCESS_KEY",  "AWS_SESSION_TOKEN"};
  Status s =
      RunWithTimeout(o, std::max(0.001, RemainingMs(deadline) / 1000.0), "health command " + c.argv[0]);
  if (!s.ok()) return {false, s.message(), 0};
  return {true, "exit 0", 0};
}

}  // namespace

Result<std::string> QueryValue(const std::string& kind, const DrEndpoint& at, const std::string& command,
                               double timeout_seconds) {
  const auto deadline =
      Steady::now() + std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  std::string value, err;
  if (kind == "sql") {
    int rows = 0;
    err = SqlExec(at, command, deadline, &rows, &value);
  } else if (kind == "redis") {
    err = RedisExec(at, command, deadline, &value);
  } else {
    err = "no query of kind " + kind;
  }
  if (!err.empty()) return Status(Code::kIoError, err);
  return value;
}

HealthResult RunHealthCheck(const HealthCheck& check, const DrService& service, const DrEndpoint& at) {
  (void)service;
  const auto start = Steady::now();
  const auto deadline =
      start + std::chrono::milliseconds(static_cast<long long>(check.timeout_seconds * 1000));
  HealthResult r;
  if (check.kind == "tcp") {
    r = Tcp(check, deadline);
  } else if (check.kind == "http") {
    r = Http(check, deadline);
  } else if (check.kind == "sql") {
    r = Sql(check, at, deadline);
  } else if (check.kind == "redis") {
    r = Redis(check, at, deadline);
  } else if (check.kind == "command" && !check.argv.empty()) {
    r = Command(check, deadline);
  } else {
    r = {false, "unknown check " + check.kind, 0};
  }
  r.seconds = std::chrono::duration<double>(Steady::now() - start).count();
  return r;
}

}  // namespace lifeboat
