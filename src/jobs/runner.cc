#include "jobs/runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>

#include "base/bytes.h"
#include "env/process.h"

namespace lifeboat {

CancelFlag::CancelFlag(Clock* clock) : clock_(clock), fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

CancelFlag::~CancelFlag() {
  if (fd_ >= 0) close(fd_);
}

void CancelFlag::Cancel(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    why_ = why;
  }
  uint64_t one = 1;
  if (fd_ >= 0) (void)!write(fd_, &one, sizeof one);
  if (clock_ != nullptr) clock_->Wake();
}

bool CancelFlag::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

std::string CancelFlag::why() const {
  std::lock_guard<std::mutex> lock(mu_);
  return why_;
}

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

struct AttemptEnd {
  AttemptResult result;
  bool timed_out = false;
  bool cancelled = false;
};

// The last non-empty line of the child's output.
std::string LastLine(const std::string& out) {
  size_t end = out.find_last_not_of("\n\r ");
  if (end == std::string::npos) return "";
  size_t start = out.rfind('\n', end);
  return out.substr(start == std::string::npos ? 0 : start + 1,
                    end + 1 - (start == std::string::npos ? 0 : start + 1));
}

AttemptEnd RunOneAttempt(const AttemptCommand& command, double timeout, const RunnerOptions& o,
                         CancelFlag* cancel) {
  AttemptEnd end;
  SubprocessOptions so;
  so.argv = command.argv;
  so.setenv = command.env;
  so.stdin_mode = SubprocessOptions::Io::kNull;
  so.stdout_mode = SubprocessOptions::Io::kPipe;
  so.stderr_copy_fd = command.stderr_copy_fd;
  so.new_process_group = true;
  auto child = Subprocess::Start(so);
  if (!child.ok()) {
    end.result.error = child.status().WithContext("start the attempt").message();
    end.result.code = static_cast<int>(child.status().code());
    return end;
  }
  Subprocess& p = **child;
  const double start = o.clock->Monotonic();
  const double deadline = timeout > 0 ? start + timeout : kNever;
  double kill_at = kNever;
  bool stopping = false;
  std::string out;
  for (;;) {
    const double now = o.clock->Monotonic();
    if (!stopping && (now >= deadline || cancel->cancelled())) {
      (now >= deadline ? end.timed_out : end.cancelled) = true;
      p.Signal(SIGTERM);
      stopping = true;
      kill_at = now + o.kill_grace_seconds;
    }
    if (stopping && now >= kill_at) {
      p.Signal(SIGKILL);
      kill_at = kNever;
    }
    const double next = std::min(stopping ? kNever : deadline, kill_at);
    // At most a second between looks at the clock: a FakeClock moves
    // without waking poll.
    int wait_ms = next == kNever ? 1000 : static_cast<int>(std::clamp((next - now) * 1000 + 1, 0.0, 1000.0));
    pollfd fds[2] = {{p.stdout_fd(), POLLIN, 0}, {cancel->fd(), POLLIN, 0}};
    int n = poll(fds, stopping ? 1 : 2, wait_ms);
    if (n < 0 && errno != EINTR) break;
    if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t r = read(p.stdout_fd(), buf, sizeof buf);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) break;
      out.append(buf, static_cast<size_t>(r));
      if (out.size() > (1 << 20)) out.erase(0, out.size() - (1 << 19));
    }
  }
  Status exited = p.Wait();
  if (stopping) p.KillGroup();  // a hook that ignored SIGTERM, or outlived the attempt
  auto parsed = AttemptResult::FromJson(LastLine(out));
  if (parsed.ok()) {
    end.result = std::move(*parsed);
  } else {
    end.result.error = exited.ok() ? "the attempt reported no result" : exited.message();
    end.result.code = static_cast<int>(exited.ok() ? Code::kInternal : exited.code());
  }
  if (end.timed_out) {
    end.result.result = "failure";
    end.result.error = "timed out after " + HumanDuration(timeout) + " and was stopped";
    end.result.code = static_cast<int>(Code::kIoError);
  }
  return end;
}

}  // namespace

JobRun RunJob(const JobSpec& job, const std::string& trigger, const AttemptCommand& command,
              const RunnerOptions& o, CancelFlag* cancel,
              const std::function<void(const RunRecord&)>& on_start) {
  JobRun run;
  RunRecord& rec = run.record;
  rec.job = job.name;
  rec.type = job.type;
  rec.trigger = trigger;
  rec.start = o.clock->Now();
  rec.result = "running";
  if (o.history != nullptr) {
    auto id = o.history->Begin(job.name, job.type, trigger, rec.start);
    if (id.ok()) {
      rec.id = *id;
    } else {
      std::fprintf(stderr, "lifeboat: job %s: %s (the run goes on unrecorded)\n", job.name.c_str(),
                   id.status().message().c_str());
    }
  }
  if (on_start) on_start(rec);
  double backoff = job.retries.backoff_seconds;
  const int attempts = std::max(1, job.retries.attempts);
  bool cancelled = false;
  for (int i = 1; i <= attempts; ++i) {
    AttemptEnd end = RunOneAttempt(command, job.timeout_seconds, o, cancel);
    run.attempts = i;
    run.last = std::move(end.result);
    if (end.cancelled) {
      cancelled = true;
      break;
    }
    if (run.last.result != "failure" || !run.last.retryable || i == attempts) break;
    std::fprintf(stderr, "lifeboat: job %s: attempt %d of %d failed: %s; trying again in %s\n",
                 job.name.c_str(), i, attempts, run.last.error.c_str(), HumanDuration(backoff).c_str());
    const double until = o.clock->Monotonic() + backoff;
    while (o.clock->Monotonic() < until && !cancel->cancelled()) o.clock->WaitUntil(until);
    if (cancel->cancelled()) {
      cancelled = true;
      break;
    }
    backoff *= 2;
  }
  rec.end = o.clock->Now();
  if (cancelled) {
    rec.result = "cancelled";
    rec.error = cancel->why();
    run.status_code = static_cast<int>(Code::kIoError);
  } else {
    rec.result = run.last.result;
    rec.error = run.last.error;
    if (rec.result == "failure" && run.attempts > 1) {
      rec.error =
          "attempt " + std::to_string(run.attempts) + " of " + std::to_string(attempts) + ": " + rec.error;
    }
    run.status_code = rec.result == "success" ? 0 : run.last.code;
  }
  rec.snapshot_id = run.last.snapshot_id;
  rec.bytes_added = run.last.bytes_added;
  rec.details = run.last.ToJson();
  if (o.history != nullptr && rec.id != 0) {
    Status s = o.history->Finish(rec.id, rec.end, rec.result, rec.snapshot_id, rec.bytes_added, rec.error,
                                 rec.details);
    if (!s.ok()) std::fprintf(stderr, "lifeboat: job %s: %s\n", job.name.c_str(), s.message().c_str());
  }
  return run;
}

}  // namespace lifeboat
