#include "server/notify.h"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "env/env.h"
#include "jobs/run_json.h"

namespace lifeboat {
namespace {

constexpr int kTries = 4;
constexpr double kDrainSeconds = 10;  // at shutdown, for what is still queued

double SteadyNow() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "https://hooks.slack.com/services/T/B/X" -> {"https://hooks.slack.com", "/services/T/B/X"}.
bool SplitUrl(const std::string& url, std::string* base, std::string* path) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  size_t slash = url.find('/', scheme + 3);
  *base = url.substr(0, slash);
  *path = slash == std::string::npos ? "/" : url.substr(slash);
  return true;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string Notifier::JsonBody(const JobEvent& e, const std::string& host) {
  nlohmann::json j{{"event", e.kind},           {"job", e.job},    {"type", e.type}, {"host", host},
                   {"at", FormatRfc3339(e.at)}, {"error", e.error}};
  j["run"] = e.run.id != 0 || !e.run.job.empty() ? RunToJson(e.run) : nlohmann::json(nullptr);
  return Dump(j);
}

std::string Notifier::SlackBody(const JobEvent& e, const std::string& host) {
  std::string text;
  if (e.kind == "success") {
    text = "lifeboat: job " + e.job + " succeeded on " + host;
    if (!e.run.snapshot_id.empty()) text += ", snapshot " + e.run.snapshot_id.substr(0, 8);
  } else if (e.kind == "missed") {
    text = "lifeboat: job " + e.job + " missed a scheduled run on " + host + ": " + e.error;
  } else {
    const std::string& r = e.run.result;
    text = "lifeboat: job " + e.job + " " + (r.empty() || r == "failure" ? "failed" : "was " + r) + " on " +
           host;
    if (!e.error.empty()) text += ": " + e.error;
  }
  return Dump(nlohmann::json{{"text", text}});
}

Notifier::Notifier(std::vector<WebhookSpec> hooks, std::function<void(const std::string&)> log)
    : log_(std::move(log)), host_(HostName()), hooks_(std::move(hooks)) {
  thread_ = std::thread(&Notifier::Loop, this);
}

Notifier::~Notifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    stop_deadline_ = SteadyNow() + kDrainSeconds;
    cv_.notify_all();
  }
  thread_.join();
}

void Notifier::SetHooks(std::vector<WebhookSpec> hooks) {
  std::lock_guard<std::mutex> lock(mu_);
  hooks_ = std::move(hooks);
}

void Notifier::Notify(const JobEvent& e) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const WebhookSpec& h : hooks_) {
    if (std::find(h.events.begin(), h.events.end(), e.kind) == h.events.end()) continue;
    std::string body = h.format == "slack" ? SlackBody(e, host_) : JsonBody(e, host_);
    queue_.push_back(Delivery{h, std::move(body), e.kind + " of job " + e.job});
  }
  cv_.notify_all();
}

void Notifier::NotifyAll(const std::string& json, const std::string& text, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const WebhookSpec& h : hooks_) {
    std::string body = h.format == "slack" ? Dump(nlohmann::json{{"text", text}}) : json;
    queue_.push_back(Delivery{h, std::move(body), what});
  }
  cv_.notify_all();
}

bool Notifier::Send(const Delivery& d, std::string* error) {
  std::string base, path;
  if (!SplitUrl(d.hook.url, &base, &path)) {
    *error = "not an http(s) URL";
    return false;
  }
  httplib::Client client(base);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  client.set_write_timeout(10, 0);
  auto res = client.Post(path, d.body, "application/json");
  if (!res) {
    *error = httplib::to_string(res.error());
    return false;
  }
  if (res->status < 200 || res->status > 299) {
    *error = "HTTP " + std::to_string(res->status);
    return false;
  }
  return true;
}

void Notifier::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Delivery d = std::move(queue_.front());
    queue_.pop_front();
    std::string base, path;
    SplitUrl(d.hook.url, &base, &path);
    double pause = 1;
    for (int i = 1; i <= kTries; ++i) {
      lock.unlock();
      std::string error;
      bool ok = Send(d, &error);
      lock.lock();
      if (ok) break;
      const bool last = i == kTries || (stopping_ && SteadyNow() + pause > stop_deadline_);
      if (last) {
        if (log_) {
          log_("webhook " + base + ": the " + d.what + " was not delivered after " + std::to_string(i) +
               " tr" + (i == 1 ? "y" : "ies") + ": " + error);
        }
        break;
      }
      // A pause that a shutdown cuts short only past the drain deadline.
      double until = SteadyNow() + pause;
      cv_.wait_for(lock, std::chrono::duration<double>(pause),
                   [&] { return stopping_ && until > stop_deadline_; });
      pause *= 2;
    }
    if (stopping_ && SteadyNow() > stop_deadline_) {
      if (!queue_.empty() && log_) {
        log_("webhooks: " + std::to_string(queue_.size()) + " notification(s) dropped at shutdown");
      }
      return;
    }
  }
}

}  // namespace lifeboat
