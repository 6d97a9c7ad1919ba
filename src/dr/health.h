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

}  // namespace lifeboat
