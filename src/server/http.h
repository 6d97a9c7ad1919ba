// The HTTP side of `lifeboat serve` (cpp-httplib, Debian's libcpp-httplib):
//
//   GET  /healthz                  200 while the process answers
//   GET  /readyz                   200 while it schedules; 503 starting or shutting down
//   GET  /metrics                  Prometheus text format (scheduler/job_metrics.h)
//   GET  /api/v1/jobs              every job: schedule, next run, running, last run, last success
//   GET  /api/v1/jobs/NAME         one of them
//   GET  /api/v1/runs?job=&limit=  the run history, newest first
//   POST /api/v1/jobs/NAME/run     202 {"run_id": N} (or {"queued": true} while the limits
//                                  hold it); 409 when it is queued or running; 404 unknown
//
// With a token (api.token_file), /api/ wants "Authorization: Bearer TOKEN"
// (401 otherwise); /healthz, /readyz and /metrics stay open, as a
// Prometheus scrape and a liveness probe expect. Answers are JSON, errors
// {"error": "..."}; no answer holds a password (a source URL's password is
// masked).
#pragma once

#include <memory>
#include <string>

#include "base/secret.h"
#include "base/status.h"
#include "scheduler/daemon.h"

namespace lifeboat {

class ApiServer {
 public:
  // Binds `listen` ("127.0.0.1:9471", "[::1]:9471", port 0: any free one)
  // and serves on a thread of its own. kIoError naming the address if it
  // cannot be bound.
  static Result<std::unique_ptr<ApiServer>> Start(Daemon* daemon, const std::string& listen, Secret token);
  ~ApiServer();

  // The token of a reloaded config ("" : no auth).
  void SetToken(Secret token);
  void Stop();
  // Where it listens, as http://HOST:PORT.
  const std::string& url() const { return url_; }

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string url_;
};

// "postgres://app:s3cret@db1/app" -> "postgres://app:***@db1/app"; other
// text unchanged.
std::string MaskUrlPassword(const std::string& url);

}  // namespace lifeboat
