// Webhooks of `lifeboat serve` (notifications.webhooks): each event a hook
// asks for (success, failure, missed) is POSTed to its URL from a thread of
// its own, tried up to four times with 1 s, 2 s, 4 s between, so a slow or
// dead receiver never holds up a backup.
//
//   format json   {"event": "failure", "job": "postgres", "type": "postgres",
//                  "host": "db-backup-1", "at": "...", "error": "...",
//                  "run": {id, trigger, start, end, result, snapshot_id, ...}}
//   format slack  {"text": "lifeboat: job postgres failed on db-backup-1: ..."}
//                 (a Slack, Mattermost or Rocket.Chat incoming webhook)
//
// No body holds a secret: the error lines are the runner's, which name
// objects and causes, never passwords. A hook's URL is a secret of its own
// (a Slack URL is its credential): messages name its scheme and host only.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/config.h"
#include "scheduler/daemon.h"

namespace lifeboat {

class Notifier {
 public:
  Notifier(std::vector<WebhookSpec> hooks, std::function<void(const std::string&)> log);
  // Delivers what is queued for at most a few seconds more, then stops.
  ~Notifier();

  // Queues `e` for the hooks that want it; never blocks.
  void Notify(const JobEvent& e);
  // Queues a message for every hook, whatever events it asks for (`verify
  // --all --notify` sends the Validation Report so): `json` to the json
  // hooks, {"text": text} to the slack ones. `what` names it in messages.
  void NotifyAll(const std::string& json, const std::string& text, const std::string& what);
  void SetHooks(std::vector<WebhookSpec> hooks);

  // The bodies, for tests.
  static std::string JsonBody(const JobEvent& e, const std::string& host);
  static std::string SlackBody(const JobEvent& e, const std::string& host);

 private:
  struct Delivery {
    WebhookSpec hook;
    std::string body;
    std::string what;  // "failure of job postgres", for messages
  };
  void Loop();
  bool Send(const Delivery& d, std::string* error);

  std::function<void(const std::string&)> log_;
  std::string host_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WebhookSpec> hooks_;
  std::deque<Delivery> queue_;
  bool stopping_ = false;
  double stop_deadline_ = 0;  // steady seconds: give up on the queue then
  std::thread thread_;
};

}  // namespace lifeboat
