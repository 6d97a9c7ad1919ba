// A Redis client for what lifeboat asks of a server: commands and pipelines
// in RESP2, the raw replication stream after SYNC/PSYNC, over TCP or TLS.
// Written here rather than on hiredis because Debian 12's hiredis (0.14) has
// no TLS and no way to hand over the replication payload as a stream; the
// protocol is small and documented (redis.io "Redis serialization protocol"
// and "Replication").
//
// The password travels in AUTH only: never in argv (no redis-cli), never in
// messages (errors quote the server's answer, which does not echo it).
// Not thread-safe; one connection per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"

namespace lifeboat::redis {

bool IsRedisUrl(std::string_view s);  // redis:// or rediss://

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;  // ACL user; empty: the default user
  Secret password;   // empty: no AUTH
  int db = 0;
  bool tls = false;
  std::string cacert;           // rediss: CA file (default: the system's)
  std::string Display() const;  // redis://user@host:port (never the password)
};

struct EndpointOptions {
  std::string password_file;  // --redis-password-file
  std::string cacert;         // --cacert
};

// Parses redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (and rediss://). The
// password comes from the URL, else the file, else REDISCLI_AUTH.
Result<Endpoint> ParseEndpoint(const std::string& url, const EndpointOptions& options = {});

struct Reply {
  enum Type { kStatus, kError, kInteger, kBulk, kNil, kArray } type = kNil;
  std::string str;  // status, error, bulk
  int64_t integer = 0;
  std::vector<Reply> elements;
  bool ok() const { return type != kError; }
};

class Connection {
 public:
  // Connects (timeout in seconds), negotiates TLS, sends AUTH and SELECT.
  // Wrong password: kAccessDenied; unreachable: kUnavailable; TLS that does
  // not verify: kIoError (retrying cannot help).
  static Result<std::unique_ptr<Connection>> Open(const Endpoint& ep, double timeout_seconds = 10);
  ~Connection();

  // One command; an error reply is returned as a Reply of kError.
  Result<Reply> Command(const std::vector<std::string>& args);
  // Queues a command without reading its reply (pipelining).
  Status Append(const std::vector<std::string>& args);
  Status Flush();
  Result<Reply> ReadReply();

  // Raw access for the replication stream.
  Result<std::string> ReadLine();  // without CRLF
  Result<size_t> ReadSome(char* buf, size_t n);
  Status ReadExact(char* buf, size_t n);
  // Socket receive timeout for the waits of a long transfer (0: none).
  void SetReadTimeout(double seconds);
  // Ends reading: a read blocked on another thread returns (an error), and
  // every later one fails. Safe to call from any thread.
  void ShutdownRead();

  const Endpoint& endpoint() const { return ep_; }

 private:
  Connection() = default;
  Status WriteAll(std::string_view data);
  Result<size_t> RawRead(char* buf, size_t n);
  Status Fill();

  Endpoint ep_;
  int fd_ = -1;
  void* ssl_ = nullptr;      // SSL*
  void* ssl_ctx_ = nullptr;  // SSL_CTX*
  std::string out_;
  std::string in_;
  size_t in_pos_ = 0;
};

// "ERR unknown command 'SYNC'": the first word of an error reply.
std::string ErrorCode(const Reply& r);

}  // namespace lifeboat::redis
