#include "env/process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "env/env.h"

extern char** environ;

namespace lifeboat {

// Collects what the child writes to stderr, keeping the last kKeep bytes.
struct Subprocess::StderrReader {
  static constexpr size_t kKeep = 8192;
  int fd = -1;
  int copy_fd = -1;
  std::thread thread;
  mutable std::mutex mu;
  std::string tail;

  void Run() {
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (copy_fd >= 0)
        WriteAll(copy_fd, std::string_view(buf, static_cast<size_t>(n)), "stderr").IgnoreError();
      std::lock_guard<std::mutex> lock(mu);
      tail.append(buf, static_cast<size_t>(n));
      if (tail.size() > 2 * kKeep) tail.erase(0, tail.size() - kKeep);
    }
    close(fd);
  }
};

namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The last one or two non-empty lines of a program's stderr, on one line.
std::string LastLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    size_t lead = line.find_first_not_of(" \t");
    if (lead != std::string::npos) lines.push_back(line.substr(lead));
    start = end + 1;
  }
  if (lines.empty()) return "";
  if (lines.size() == 1) return lines[0];
  // libpq puts the cause on the second line ("connection ... failed:" / "FATAL: ...").
  const std::string& a = lines[lines.size() - 2];
  const std::string& b = lines.back();
  if (a.back() == ':' || b.starts_with("DETAIL") || b.starts_with("HINT")) return a + " " + b;
  return b;
}

}  // namespace

Result<int> FdFromString(std::string_view data) {
  int fd = memfd_create("lifeboat", MFD_CLOEXEC);
  if (fd < 0) return ErrnoStatus("memfd_create", errno);
  Status w = WriteAll(fd, data, "memory file");
  if (!w.ok()) {
    close(fd);
    return w;
  }
  if (lseek(fd, 0, SEEK_SET) != 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus("seek memory file", err);
  }
  return fd;
}

namespace {

// The children started and not yet reaped, for StopAllChildren.
std::mutex children_mu;
std::set<pid_t>& Children() {
  static std::set<pid_t> children;
  return children;
}

// True once `pid` has exited (gone, or a zombie waiting to be reaped).
bool Exited(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::string stat;
  if (FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r")) {
    char buf[256];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    stat.assign(buf, n);
  }
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

}  // namespace

int StopAllChildren(int sig, double wait_seconds) {
  std::set<pid_t> pids;
  {
    std::lock_guard<std::mutex> l(children_mu);
    pids = Children();
  }
  for (pid_t pid : pids) kill(pid, sig);
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  for (pid_t pid : pids) {
    while (!Exited(pid) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a condition, bounded
    }
  }
  return static_cast<int>(pids.size());
}

Result<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& o) {
  if (o.argv.empty()) return InvalidArgument("no program to run");
  const std::string& program = o.argv[0];
  std::string name = BaseName(program);
  if (access(program.c_str(), X_OK) != 0) {
    return NotFound(name + " not found or not executable at " + program);
  }
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    std::string key = kv.substr(0, kv.find('='));
    if (o.setenv.count(key)) continue;
    bool drop = false;
    for (const auto& u : o.unsetenv) {
      if (key == u || (u.back() == '*' && key.starts_with(u.substr(0, u.size() - 1)))) drop = true;
    }
    if (!drop) env_strings.push_back(std::move(kv));
  }
  for (const auto& [k, v] : o.setenv) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = o.argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
  };
  if ((o.stdin_fd < 0 && o.stdin_mode == SubprocessOptions::Io::kPipe && pipe2(in_pipe, O_CLOEXEC) != 0) ||
      (o.stdout_fd < 0 && o.stdout_mode == SubprocessOptions::Io::kPipe && pipe2(out_pipe, O_CLOEXEC) != 0) ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    close_all();
    return ErrnoStatus("pipe for " + name, err);
  }
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close_all();
    if (null_fd >= 0) close(null_fd);
    return ErrnoStatus("fork for " + name, err);
  }
  if (pid == 0) {
    int in = o.stdin_fd >= 0 ? o.stdin_fd
             : o.stdin_mode == SubprocessOptions::Io::kPipe ? in_pipe[0]
             : o.stdin_mode == SubprocessOptions::Io::kNull ? null_fd
                                                            : 0;
    int out = o.stdout_fd >= 0 ? o.stdout_fd
              : o.stdout_mode == SubprocessOptions::Io::kPipe ? out_pipe[1]
              : o.stdout_mode == SubprocessOptions::Io::kNull ? null_fd
                                                              : 1;
    if (in != 0 && dup2(in, 0) < 0) _exit(126);
    if (out != 1 && dup2(out, 1) < 0) _exit(126);
    if (dup2(err_pipe[1], 2) < 0) _exit(126);
    if (o.new_process_group && setpgid(0, 0) != 0) _exit(126);
    if (o.gid && (setgroups(0, nullptr) != 0 || setgid(*o.gid) != 0)) _exit(126);
    if (o.uid && setuid(*o.uid) != 0) _exit(126);
    if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) _exit(126);
    signal(SIGPIPE, SIG_DFL);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (null_fd >= 0) close(null_fd);
  {
    std::lock_guard<std::mutex> l(children_mu);
    Children().insert(pid);
  }
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->name_ = name;
  p->pid_ = pid;
  if (in_pipe[0] >= 0) close(in_pipe[0]);
  if (out_pipe[1] >= 0) close(out_pipe[1]);
  close(err_pipe[1]);
  p->stdin_fd_ = in_pipe[1];
  p->stdout_fd_ = out_pipe[0];
  p->stderr_ = std::make_unique<StderrReader>();
  p->stderr_->fd = err_pipe[0];
  p->stderr_->copy_fd = o.stderr_copy_fd;
  p->group_ = o.new_process_group;
  p->stderr_->thread = std::thread([r = p->stderr_.get()] { r->Run(); });
  return p;
}

void Subprocess::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

void Subprocess::CloseStdout() {
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
}

void Subprocess::Terminate() { Signal(SIGTERM); }

void Subprocess::KillGroup() {
  if (group_ && pid_ > 0) kill(-pid_, SIGKILL);
}

void Subprocess::Signal(int sig) {
  if (waited_ || pid_ <= 0) return;
  // The group may be gone while the child is not yet reaped: then the pid.
  if (!group_ || kill(-pid_, sig) != 0) kill(pid_, sig);
}

Status Subprocess::Wait() {
  if (waited_) return result_;
  CloseStdin();
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  {
    std::lock_guard<std::mutex> l(children_mu);
    Children().erase(pid_);
  }
  if (stderr_ && stderr_->thread.joinable()) stderr_->thread.join();
  CloseStdout();
  waited_ = true;
  if (r < 0) {
    result_ = ErrnoStatus("wait for " + name_, errno);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    result_ = Status::Ok();
  } else {
    std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                        : "was killed by signal " + std::to_string(WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) how = "could not be started";
    std::string cause = LastLines(stderr_tail());
    result_ = IoError(name_ + " " + how + (cause.empty() ? "" : ": " + cause));
  }
  return result_;
}

std::string Subprocess::stderr_tail() const {
  if (!stderr_) return "";
  std::lock_guard<std::mutex> lock(stderr_->mu);
  return stderr_->tail;
}

Subprocess::~Subprocess() {
  if (!waited_ && pid_ > 0) {
    Signal(SIGKILL);
    Wait().IgnoreError();
  }
}

}  // namespace lifeboat

namespace lifeboat {

std::string FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    std::string dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

Result<std::string> RunForOutput(const std::vector<std::string>& argv, size_t limit) {
  SubprocessOptions o;
  o.argv = argv;
  o.stdout_mode = SubprocessOptions::Io::kPipe;
  LB_ASSIGN_OR_RETURN(std::unique_ptr<Subprocess> p, Subprocess::Start(o));
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(p->stdout_fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() < limit) out.append(buf, std::min(static_cast<size_t>(n), limit - out.size()));
  }
  p->CloseStdout();
  LB_RETURN_IF_ERROR(p->Wait());
  return out;
}

}  // namespace lifeboat
