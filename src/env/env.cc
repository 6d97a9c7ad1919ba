#include "env/env.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

namespace lifeboat {

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::string CurrentUserName() {
  std::string name = UserName(geteuid());
  return name.empty() ? std::to_string(geteuid()) : name;
}

std::string UserName(uid_t uid) {
  static std::mutex mu;
  static std::map<uid_t, std::string> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(uid);
  if (it != cache.end()) return it->second;
  std::string name;
  passwd pw;
  passwd* result = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result != nullptr) name = pw.pw_name;
  cache[uid] = name;
  return name;
}

std::string GroupName(gid_t gid) {
  static std::mutex mu;
  static std::map<gid_t, std::string> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(gid);
  if (it != cache.end()) return it->second;
  std::string name;
  group gr;
  group* result = nullptr;
  char buf[8192];
  if (getgrgid_r(gid, &gr, buf, sizeof buf, &result) == 0 && result != nullptr) name = gr.gr_name;
  cache[gid] = name;
  return name;
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  return kill(pid, 0) == 0 || errno == EPERM;
}

namespace {

std::string FirstLineOf(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return "";
  char buf[512];
  std::string out = std::fgets(buf, sizeof buf, f) ? buf : "";
  std::fclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::string ProcessIdentity(pid_t pid) {
  if (pid <= 0) return "";
  // /proc/PID/stat: "pid (comm) state ppid ..."; the start time is the 22nd
  // field, the 20th after the comm (which may hold spaces and parentheses).
  std::string stat = FirstLineOf("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::string rest = stat.substr(close + 1);
  size_t pos = 0;
  std::string field;
  for (int i = 0; i < 20; ++i) {
    size_t start = rest.find_first_not_of(' ', pos);
    if (start == std::string::npos) return "";
    pos = rest.find(' ', start);
    field = rest.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
    if (pos == std::string::npos && i < 19) return "";
  }
  return FirstLineOf("/proc/sys/kernel/random/boot_id") + ":" + std::to_string(pid) + ":" + field;
}

bool ProcessIdentityAlive(const std::string& identity) {
  size_t a = identity.find(':');
  size_t b = a == std::string::npos ? a : identity.find(':', a + 1);
  if (b == std::string::npos) return false;
  char* end = nullptr;
  long pid = std::strtol(identity.c_str() + a + 1, &end, 10);
  if (end != identity.c_str() + b || pid <= 0) return false;
  return ProcessIdentity(static_cast<pid_t>(pid)) == identity;
}

Status WriteAll(int fd, std::string_view data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write " + what, errno);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus("read " + path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

Result<std::string> RunCommandOutput(const std::string& command) {
  FILE* f = popen(command.c_str(), "r");
  if (f == nullptr) return ErrnoStatus("run password command", errno);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int rc = pclose(f);
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    return InvalidArgument("password command failed (exit status " +
                           std::to_string(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1) + ")");
  }
  return out;
}

Result<Secret> PromptPassword(const std::string& prompt) {
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0 || !isatty(fd)) {
    if (fd >= 0) close(fd);
    return InvalidArgument(
        "no password given: use --password-file, LIFEBOAT_PASSWORD, LIFEBOAT_PASSWORD_FILE or "
        "LIFEBOAT_PASSWORD_COMMAND");
  }
  (void)!write(fd, prompt.data(), prompt.size());
  termios old{};
  tcgetattr(fd, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  tcsetattr(fd, TCSAFLUSH, &old);
  (void)!write(fd, "\n", 1);
  close(fd);
  return Secret(std::move(line));
}

}  // namespace lifeboat
