#include "server/push.h"

#include <httplib.h>

#include <cctype>

#include "base/bytes.h"

namespace lifeboat {

Status PushMetrics(const std::string& url, const std::string& job, const std::string& text) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos || (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)) {
    return InvalidArgument("--pushgateway " + url + ": want http://HOST:PORT");
  }
  size_t slash = url.find('/', scheme + 3);
  const std::string base = url.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : url.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  httplib::Client client(base);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(30, 0);
  client.set_write_timeout(30, 0);
  // A name with a byte outside [A-Za-z0-9._-] goes base64url-encoded, the
  // Pushgateway's form for any label value ("job@base64/...").
  bool plain = !job.empty();
  for (unsigned char c : job) plain = plain && (std::isalnum(c) || c == '.' || c == '_' || c == '-');
  std::string key = "/metrics/job/" + job;
  if (!plain) {
    std::string b64 = Base64Encode(job);
    for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
    key = "/metrics/job@base64/" + b64;
  }
  auto res = client.Put(prefix + key, text, "text/plain; version=0.0.4");
  if (!res) return IoError("pushgateway " + base + ": " + httplib::to_string(res.error()));
  if (res->status < 200 || res->status > 299) {
    std::string body = res->body.substr(0, 200);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    return IoError("pushgateway " + base + ": HTTP " + std::to_string(res->status) +
                   (body.empty() ? "" : ": " + body));
  }
  return Status::Ok();
}

}  // namespace lifeboat
