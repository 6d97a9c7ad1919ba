#include "env/signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

namespace lifeboat {
namespace {

int g_pipe[2] = {-1, -1};
std::atomic<bool> g_cleaning{false};
std::atomic<bool> g_listening{false};
std::mutex g_listener_mu;
std::function<void(int)>* g_listener = nullptr;  // guarded by g_listener_mu

void OnSignal(int sig) {
  // The second one: no more waiting (unless a listener takes them all).
  if (!g_listening.load() && g_cleaning.exchange(true)) _exit(128 + sig);
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t n = write(g_pipe[1], &b, 1);
  (void)n;
}

}  // namespace

void InstallInterruptHandler(std::function<void(int)> on_signal) {
  if (pipe2(g_pipe, O_CLOEXEC) != 0) return;  // no handler: the default (exit) stays
  std::thread([fn = std::move(on_signal)] {
    for (;;) {
      unsigned char b = 0;
      while (read(g_pipe[0], &b, 1) != 1) {
      }
      {
        std::lock_guard<std::mutex> lock(g_listener_mu);
        if (g_listener != nullptr) {
          (*g_listener)(b);
          continue;
        }
      }
      fn(b);
      return;
    }
  }).detach();
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  // A signal ignored when we started (nohup, a shell's background job) stays
  // ignored.
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old = {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sig, &sa, nullptr);
  }
}

void SetSignalListener(std::function<void(int)> listener) {
  std::lock_guard<std::mutex> lock(g_listener_mu);
  delete g_listener;
  g_listener = listener ? new std::function<void(int)>(std::move(listener)) : nullptr;
  g_listening.store(g_listener != nullptr);
  g_cleaning.store(false);
}

}  // namespace lifeboat
