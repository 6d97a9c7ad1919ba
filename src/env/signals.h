// Interrupts (SIGINT, SIGTERM, SIGHUP) handled in a thread of their own, so
// the cleanup may do what a signal handler may not (remove lock files over
// the network, print). The handler only writes the signal's number to a
// pipe; a second signal while the cleanup runs ends the process at once.
// Handlers are not inherited across exec, so child programs (pg_dump,
// redis-cli) keep the default dispositions.
#pragma once

#include <functional>

namespace lifeboat {

// Installs the handlers and starts the watcher thread. `on_signal` runs on
// that thread with the signal's number; it should clean up and _exit. Call
// once, before other threads start.
void InstallInterruptHandler(std::function<void(int)> on_signal);

// A long-running command (serve, run) that handles signals itself: from
// now on each signal goes to `listener` on the watcher thread, every time,
// instead of ending the process. An empty function restores the default.
void SetSignalListener(std::function<void(int)> listener);

}  // namespace lifeboat
