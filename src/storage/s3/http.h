// A small HTTP client on libcurl for the S3 driver: one request at a time per
// call, safe to call from many threads, connections kept alive and reused
// through a pool of curl handles. TLS is verified against the system CA
// bundle or a given CA file.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/s3/sigv4.h"

namespace lifeboat {

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // scheme://host[:port]/path?query, already encoded
  HeaderList headers;
  std::string_view body;
};

struct HttpResponse {
  long status = 0;
  HeaderList headers;  // names in lower case
  std::string body;

  // The first header of that (lower-case) name, or "".
  std::string Header(std::string_view name) const;
};

struct HttpOptions {
  std::string ca_file;            // empty: the system bundle
  long connect_timeout_s = 15;
  long stall_timeout_s = 60;      // abort when fewer than 1 byte/s flow this long
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and reads the whole response. A transport failure
  // (refused, reset, timed out, cut off) is kUnavailable with curl's reason;
  // any HTTP status is a successful result for the caller to judge.
  Result<HttpResponse> Do(const HttpRequest& req);

 private:
  void* Acquire();
  void Release(void* handle);

  HttpOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles with live connections
};

}  // namespace lifeboat
