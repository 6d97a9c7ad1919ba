#include "server/http.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "jobs/run_json.h"

namespace lifeboat {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

void Answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(Dump(body), "application/json");
}

void Error(httplib::Response& res, int status, const std::string& message) {
  Answer(res, status, json{{"error", message}});
}

json JobJson(const JobStatus& s) {
  const ScheduledJob& j = *s.job;
  json out{{"name", j.name},
           {"kind", j.kind},
           {"type", j.type},
           {"source", MaskUrlPassword(j.source)},
           {"repository", j.repository},
           {"schedule", j.schedule.text()},
           {"next_run", s.next_run ? FormatRfc3339(*s.next_run) : ""},
           {"running", s.running},
           {"queued", s.queued},
           {"retention", j.retention},
           {"copy_to", j.copy_to}};
  out["last_run"] = s.last_run ? RunToJson(*s.last_run) : json(nullptr);
  out["last_success"] = s.last_success ? RunToJson(*s.last_success) : json(nullptr);
  return out;
}

// "HOST:PORT" or "[V6]:PORT".
bool SplitListen(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  char* end = nullptr;
  long p = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p < 0 || p > 65535 || host->empty()) return false;
  *port = static_cast<int>(p);
  return true;
}

}  // namespace

std::string MaskUrlPassword(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t at = authority.rfind('@');
  if (at == std::string::npos) return url;
  size_t colon = authority.find(':');
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, start + colon + 1) + "***" + url.substr(start + at);
}

struct ApiServer::Impl {
  Daemon* daemon;
  httplib::Server server;
  std::thread thread;
  std::mutex mu;
  Secret token;

  bool Authorized(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu);
    if (token.empty()) return true;
    const std::string expected = "Bearer " + std::string(token.reveal());
    const std::string got = req.get_header_value("Authorization");
    // The same time for every wrong token of the right length.
    return got.size() == expected.size() && CRYPTO_memcmp(got.data(), expected.data(), got.size()) == 0;
  }

  void RunJob(const std::string& name, httplib::Response& res) {
    Daemon::Triggered t = daemon->Trigger(name, 10);
    switch (t.result) {
      case Daemon::TriggerResult::kStarted:
        return Answer(res, 202, json{{"job", name}, {"run_id", t.run_id}, {"queued", false}});
      case Daemon::TriggerResult::kQueued:
        return Answer(res, 202, json{{"job", name}, {"run_id", nullptr}, {"queued", true}});
      case Daemon::TriggerResult::kUnknown:
        return Error(res, 404, "no job \"" + name + "\"");
      case Daemon::TriggerResult::kBusy:
        return Error(res, 409, "job " + name + " is already running or queued");
      case Daemon::TriggerResult::kStopping:
        return Error(res, 503, "lifeboat serve is shutting down");
    }
  }

  void Routes() {
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (req.path.rfind("/api/", 0) == 0 && !Authorized(req)) {
        res.set_header("WWW-Authenticate", "Bearer");
        Error(res, 401, "a bearer token is needed (Authorization: Bearer ...; api.token_file)");
        return httplib::Server::HandlerResponse::Handled;
      }
      // POST .../run here, before httplib reads a body: it answers 400 to a
      // POST without Content-Length (`curl -X POST URL`), and there is none
      // to read.
      static const std::regex kRun(R"(/api/v1/jobs/([^/]+)/run)");
      std::smatch m;
      if (req.method == "POST" && std::regex_match(req.path, m, kRun)) {
        RunJob(m[1], res);
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      bool ready = daemon->ready();
      res.status = ready ? 200 : 503;
      res.set_content(ready ? "ready\n" : "not ready: starting or shutting down\n", "text/plain");
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(daemon->Metrics(), "text/plain; version=0.0.4; charset=utf-8");
    });
    server.Get("/api/v1/jobs", [this](const httplib::Request&, httplib::Response& res) {
      json out = json::array();
      daemon->Jobs([&](const std::vector<JobStatus>& jobs) {
        for (const JobStatus& s : jobs) out.push_back(JobJson(s));
      });
      Answer(res, 200, out);
    });
    server.Get(R"(/api/v1/jobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string name = req.matches[1];
      json out;
      daemon->Jobs([&](const std::vector<JobStatus>& jobs) {
        for (const JobStatus& s : jobs) {
          if (s.job->name == name) out = JobJson(s);
        }
      });
      if (out.is_null()) return Error(res, 404, "no job \"" + name + "\"");
      Answer(res, 200, out);
    });
    server.Get("/api/v1/runs", [this](const httplib::Request& req, httplib::Response& res) {
      size_t limit = 100;
      if (req.has_param("limit")) {
        char* end = nullptr;
        const std::string v = req.get_param_value("limit");
        unsigned long n = std::strtoul(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0') return Error(res, 400, "limit: not a number: " + v);
        limit = n;
      }
      auto runs = daemon->Runs(req.get_param_value("job"), limit);
      if (!runs.ok()) return Error(res, 500, runs.status().message());
      json out = json::array();
      for (const RunRecord& r : *runs) out.push_back(RunToJson(r));
      Answer(res, 200, out);
    });
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.status == 404 && res.body.empty())
        Error(res, 404, "no such endpoint: " + req.method + " " + req.path);
    });
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

Result<std::unique_ptr<ApiServer>> ApiServer::Start(Daemon* daemon, const std::string& listen, Secret token) {
  std::string host;
  int port = 0;
  if (!SplitListen(listen, &host, &port)) {
    return InvalidArgument("listen \"" + listen + "\": want HOST:PORT (127.0.0.1:9471, [::1]:9471)");
  }
  auto impl = std::make_unique<Impl>();
  impl->daemon = daemon;
  impl->token = std::move(token);
  impl->Routes();
  impl->server.set_payload_max_length(1 << 20);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a
  // second serve on the same port would bind and share the connections.
  impl->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  int bound = port;
  if (port == 0) {
    bound = impl->server.bind_to_any_port(host);
    if (bound < 0) return IoError("listen " + listen + ": cannot bind");
  } else if (!impl->server.bind_to_port(host, port)) {
    return IoError("listen " + listen + ": cannot bind (in use, or not an address of this machine)");
  }
  Impl* raw = impl.get();
  auto ended = std::make_shared<std::atomic<bool>>(false);
  impl->thread = std::thread([raw, ended] {
    raw->server.listen_after_bind();
    *ended = true;
  });
  // httplib's stop() does nothing until the listening thread has marked
  // the server running, and the thread then listens for ever: a Stop()
  // right after Start() (a test, a config error) would hang. Return only
  // once it runs (or has already given up).
  while (!raw->server.is_running() && !*ended) std::this_thread::yield();
  std::unique_ptr<ApiServer> s(new ApiServer(std::move(impl)));
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  s->url_ = "http://" + shown + ":" + std::to_string(bound);
  return s;
}

void ApiServer::SetToken(Secret token) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->token = std::move(token);
}

void ApiServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace lifeboat
