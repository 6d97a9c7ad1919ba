// A DR plan's health checks (dr/plan.h HealthCheck), run against a service
// at one site: whether it answers, in one line, and how long the answer
// took. They are what "the service is back" means to a failover and a
// drill (RTO ends when they pass) and what "the primary is healthy" means
// to `dr assess`.
//
// Written here rather than through the drivers because each is a few
// lines on the client libraries lifeboat links already (libpq, libcurl)
// or a socket (TCP, a Redis command in RESP), and none may wait longer
// than its timeout.
#pragma once

#include <string>

#include "base/status.h"
#include "dr/plan.h"

namespace lifeboat {

struct HealthResult {
  bool ok = false;
  std::string detail;  // "PONG", "HTTP 200", "1 row", or why not; no password
  double seconds = 0;
};

// Runs `check` against `service` at `at` (sql and redis connect to at.url;
// tcp and http use the check's own target).
HealthResult RunHealthCheck(const HealthCheck& check, const DrService& service, const DrEndpoint& at);

// One value from the service at `at`, for heartbeats and the wait for a
// recovery to end: kind "sql" runs `command` on at.url and gives the first
// row's first column ("" when no row); "redis" sends it and gives the
// reply (a bulk string's contents, "" for nil). kIoError with the masked
// URL and the server's words when it fails or the timeout passes.
Result<std::string> QueryValue(const std::string& kind, const DrEndpoint& at, const std::string& command,
                               double timeout_seconds);

}  // namespace lifeboat
