#include "source/redis/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "env/env.h"

namespace lifeboat::redis {
namespace {

std::string Decode(std::string_view s) {  // %XX in URL parts
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      char* end = nullptr;
      long v = std::strtol(hex, &end, 16);
      if (end == hex + 2) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string SslError() {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return e ? buf : "TLS error";
}

}  // namespace

bool IsRedisUrl(std::string_view s) { return s.starts_with("redis://") || s.starts_with("rediss://"); }

std::string Endpoint::Display() const {
  return std::string(tls ? "rediss://" : "redis://") + (user.empty() ? "" : user + "@") + host + ":" +
         std::to_string(port) + (db ? "/" + std::to_string(db) : "");
}

Result<Endpoint> ParseEndpoint(const std::string& url, const EndpointOptions& options) {
  Endpoint ep;
  std::string_view rest(url);
  if (rest.starts_with("rediss://")) {
    ep.tls = true;
    rest.remove_prefix(9);
  } else if (rest.starts_with("redis://")) {
    rest.remove_prefix(8);
  } else {
    return InvalidArgument("not a redis:// URL");
  }
  ep.cacert = options.cacert;
  size_t at = rest.rfind('@');
  std::optional<std::string> password;
  if (at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    size_t colon = cred.find(':');
    if (colon == std::string_view::npos) {
      ep.user = Decode(cred);
    } else {
      ep.user = Decode(cred.substr(0, colon));
      password = Decode(cred.substr(colon + 1));
    }
  }
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string dbs(rest.substr(slash + 1));
    if (!dbs.empty()) {
      char* end = nullptr;
      long db = std::strtol(dbs.c_str(), &end, 10);
      if (*end != '\0' || db < 0)
        return InvalidArgument("redis URL: database \"" + dbs + "\" is not a number");
      ep.db = static_cast<int>(db);
    }
  }
  if (hostport.starts_with("[")) {  // [::1]:6379
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return InvalidArgument("redis URL: unclosed [ in the host");
    ep.host = std::string(hostport.substr(1, close - 1));
    hostport.remove_prefix(close + 1);
    if (hostport.starts_with(":"))
      hostport.remove_prefix(1);
    else
      hostport = "";
  } else {
    size_t colon = hostport.rfind(':');
    ep.host = std::string(hostport.substr(0, colon));
    hostport = colon == std::string_view::npos ? "" : hostport.substr(colon + 1);
  }
  if (ep.host.empty()) ep.host = "127.0.0.1";
  if (!hostport.empty()) {
    std::string p(hostport);
    char* end = nullptr;
    long port = std::strtol(p.c_str(), &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
      return InvalidArgument("redis URL: port \"" + p + "\" is not a port");
    ep.port = static_cast<int>(port);
  }
  if (password) {
    ep.password = Secret(std::move(*password));
  } else if (!options.password_file.empty()) {
    auto text = ReadWholeFile(options.password_file);
    if (!text.ok()) return InvalidArgument("--redis-password-file: " + text.status().message());
    std::string pw = std::move(*text);
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    ep.password = Secret(std::move(pw));
  } else if (const char* env = std::getenv("REDISCLI_AUTH")) {
    ep.password = Secret(env);
  }
  return ep;
}

std::string ErrorCode(const Reply& r) {
  if (r.type != Reply::kError) return "";
  return r.str.substr(0, r.str.find(' '));
}

Connection::~Connection() {
  if (ssl_) {
    SSL_shutdown(static_cast<SSL*>(ssl_));
    SSL_free(static_cast<SSL*>(ssl_));
  }
  if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<Connection>> Connection::Open(const Endpoint& ep, double timeout_seconds) {
  std::unique_ptr<Connection> c(new Connection());
  c->ep_ = ep;
  const std::string where = ep.Display();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int gai = getaddrinfo(ep.host.c_str(), std::to_string(ep.port).c_str(), &hints, &res);
  if (gai != 0) return Status(Code::kUnavailable, "connect to " + where + ": " + gai_strerror(gai));
  Status last = Status(Code::kUnavailable, "connect to " + where + ": no address");
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout_seconds * 1000));
      int err = 0;
      socklen_t len = sizeof err;
      if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        rc = 0;
      } else {
        errno = rc == 0 ? ETIMEDOUT : err;
        rc = -1;
      }
    }
    if (rc == 0) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c->fd_ = fd;
      break;
    }
    last = Status(Code::kUnavailable, "connect to " + where + ": " + std::strerror(errno));
    close(fd);
  }
  freeaddrinfo(res);
  if (c->fd_ < 0) return last;
  c->SetReadTimeout(timeout_seconds);
  if (ep.tls) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    c->ssl_ctx_ = ctx;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    int loaded = ep.cacert.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                   : SSL_CTX_load_verify_locations(ctx, ep.cacert.c_str(), nullptr);
    if (loaded != 1)
      return Status(Code::kIoError, "TLS to " + where + ": cannot load CA " + ep.cacert + ": " + SslError());
    SSL* ssl = SSL_new(ctx);
    c->ssl_ = ssl;
    SSL_set_fd(ssl, c->fd_);
    SSL_set_tlsext_host_name(ssl, ep.host.c_str());
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (inet_pton(AF_INET, ep.host.c_str(), &hints) == 1 || ep.host.find(':') != std::string::npos) {
      X509_VERIFY_PARAM_set1_ip_asc(param, ep.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, ep.host.c_str(), 0);
    }
    if (SSL_connect(ssl) != 1) {
      long v = SSL_get_verify_result(ssl);
      std::string why = v != X509_V_OK ? X509_verify_cert_error_string(v) : SslError();
      return Status(Code::kIoError, "TLS to " + where + ": " + why);
    }
  }
  if (!ep.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!ep.user.empty()) auth.push_back(ep.user);
    auth.emplace_back(ep.password.reveal());
    auto r = c->Command(auth);
    for (auto& a : auth) std::fill(a.begin(), a.end(), '\0');
    if (!r.ok()) return r.status().WithContext("connect to " + where);
    if (!r->ok()) return Status(Code::kAccessDenied, "connect to " + where + ": AUTH refused: " + r->str);
  }
  auto ping = c->Command({"PING"});
  if (!ping.ok()) return ping.status().WithContext("connect to " + where);
  if (!ping->ok()) {
    Code code = ErrorCode(*ping) == "NOAUTH" ? Code::kAccessDenied : Code::kIoError;
    return Status(code, "connect to " + where + ": " + ping->str +
                            (code == Code::kAccessDenied
                                 ? " (give the password in the URL, --redis-password-file or REDISCLI_AUTH)"
                                 : ""));
  }
  if (ep.db != 0) {
    auto sel = c->Command({"SELECT", std::to_string(ep.db)});
    if (!sel.ok()) return sel.status();
    if (!sel->ok()) return InvalidArgument(where + ": SELECT " + std::to_string(ep.db) + ": " + sel->str);
  }
  return c;
}

void Connection::SetReadTimeout(double seconds) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void Connection::ShutdownRead() { shutdown(fd_, SHUT_RD); }

Status Connection::WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ssl_ ? SSL_write(static_cast<SSL*>(ssl_), data.data(), static_cast<int>(data.size()))
                     : send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (!ssl_ && n < 0 && errno == EINTR) continue;
      return Status(Code::kUnavailable,
                    "write to " + ep_.Display() + ": " + (ssl_ ? SslError() : std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status Connection::Append(const std::vector<std::string>& args) {
  out_ += "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out_ += "$" + std::to_string(a.size()) + "\r\n";
    out_ += a;
    out_ += "\r\n";
  }
  if (out_.size() >= (1 << 20)) return Flush();
  return Status::Ok();
}

Status Connection::Flush() {
  Status s = WriteAll(out_);
  std::fill(out_.begin(), out_.end(), '\0');  // it may have held AUTH
  out_.clear();
  return s;
}

Result<size_t> Connection::RawRead(char* buf, size_t n) {
  while (true) {
    ssize_t r = ssl_ ? SSL_read(static_cast<SSL*>(ssl_), buf, static_cast<int>(std::min<size_t>(n, 1 << 30)))
                     : recv(fd_, buf, n, 0);
    if (r > 0) return static_cast<size_t>(r);
    if (r == 0) return Status(Code::kUnavailable, ep_.Display() + " closed the connection");
    if (!ssl_ && errno == EINTR) continue;
    if (!ssl_ && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Status(Code::kUnavailable, "read from " + ep_.Display() + ": timed out");
    }
    if (ssl_ && SSL_get_error(static_cast<SSL*>(ssl_), static_cast<int>(r)) == SSL_ERROR_ZERO_RETURN) {
      return Status(Code::kUnavailable, ep_.Display() + " closed the connection");
    }
    return Status(Code::kUnavailable,
                  "read from " + ep_.Display() + ": " + (ssl_ ? SslError() : std::strerror(errno)));
  }
}

Status Connection::Fill() {
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  size_t old = in_.size();
  in_.resize(old + 65536);
  auto n = RawRead(in_.data() + old, 65536);
  if (!n.ok()) {
    in_.resize(old);
    return n.status();
  }
  in_.resize(old + *n);
  return Status::Ok();
}

Result<std::string> Connection::ReadLine() {
  while (true) {
    size_t eol = in_.find("\r\n", in_pos_);
    if (eol != std::string::npos) {
      std::string line = in_.substr(in_pos_, eol - in_pos_);
      in_pos_ = eol + 2;
      return line;
    }
    if (in_.size() - in_pos_ > (64 << 20))
      return Corrupt("reply line from " + ep_.Display() + " is too long");
    LB_RETURN_IF_ERROR(Fill());
  }
}

Result<size_t> Connection::ReadSome(char* buf, size_t n) {
  if (in_pos_ < in_.size()) {
    size_t k = std::min(n, in_.size() - in_pos_);
    std::memcpy(buf, in_.data() + in_pos_, k);
    in_pos_ += k;
    return k;
  }
  return RawRead(buf, n);
}

Status Connection::ReadExact(char* buf, size_t n) {
  while (n > 0) {
    LB_ASSIGN_OR_RETURN(size_t k, ReadSome(buf, n));
    buf += k;
    n -= k;
  }
  return Status::Ok();
}

Result<Reply> Connection::ReadReply() {
  LB_ASSIGN_OR_RETURN(std::string line, ReadLine());
  if (line.empty()) return Corrupt("empty reply line from " + ep_.Display());
  Reply r;
  char t = line[0];
  std::string body = line.substr(1);
  switch (t) {
    case '+':
      r.type = Reply::kStatus, r.str = body;
      return r;
    case '-':
      r.type = Reply::kError, r.str = body;
      return r;
    case ':':
      r.type = Reply::kInteger, r.integer = std::strtoll(body.c_str(), nullptr, 10);
      return r;
    case '$': {
      long long len = std::strtoll(body.c_str(), nullptr, 10);
      if (len < 0) return r;  // nil
      if (len > (512ll << 20)) return Corrupt("bulk reply of " + body + " bytes from " + ep_.Display());
      r.type = Reply::kBulk;
      r.str.resize(static_cast<size_t>(len) + 2);
      LB_RETURN_IF_ERROR(ReadExact(r.str.data(), r.str.size()));
      r.str.resize(static_cast<size_t>(len));
      return r;
    }
    case '*': {
      long long n = std::strtoll(body.c_str(), nullptr, 10);
      if (n < 0) return r;
      if (n > (1ll << 32)) return Corrupt("array reply of " + body + " elements from " + ep_.Display());
      r.type = Reply::kArray;
      for (long long i = 0; i < n; ++i) {
        LB_ASSIGN_OR_RETURN(Reply e, ReadReply());
        r.elements.push_back(std::move(e));
      }
      return r;
    }
    default:
      return Corrupt("reply from " + ep_.Display() + " is not RESP (starts with byte " +
                     std::to_string(int(t)) + ")");
  }
}

Result<Reply> Connection::Command(const std::vector<std::string>& args) {
  LB_RETURN_IF_ERROR(Append(args));
  LB_RETURN_IF_ERROR(Flush());
  return ReadReply();
}

}  // namespace lifeboat::redis
