#include "source/postgres/tools.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace lifeboat::pg {

Result<std::string> FindTool(const std::string& program, int server_major) {
  if (const char* dir = std::getenv("LIFEBOAT_PG_BINDIR"); dir != nullptr && *dir != '\0') {
    std::string path = std::string(dir) + "/" + program;
    if (access(path.c_str(), X_OK) != 0) {
      return NotFound(program + " not found in LIFEBOAT_PG_BINDIR (" + dir + ")");
    }
    return path;
  }
  std::vector<int> versions;
  if (DIR* d = opendir("/usr/lib/postgresql")) {
    while (dirent* e = readdir(d)) {
      int v = std::atoi(e->d_name);
      if (v > 0) versions.push_back(v);
    }
    closedir(d);
  }
  std::sort(versions.begin(), versions.end());
  for (int v : versions) {
    if (v < server_major) continue;
    std::string path = "/usr/lib/postgresql/" + std::to_string(v) + "/bin/" + program;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  std::string have;
  for (int v : versions) have += (have.empty() ? "" : ", ") + std::to_string(v);
  return NotFound(program + " for PostgreSQL " + std::to_string(server_major) +
                  " not found (installed: " + (have.empty() ? "none" : have) +
                  "); install postgresql-client-" + std::to_string(server_major) +
                  " or set LIFEBOAT_PG_BINDIR");
}

SubprocessOptions ToolProcess(std::vector<std::string> argv, const PgTarget* target) {
  SubprocessOptions o;
  o.argv = std::move(argv);
  if (target != nullptr) o.setenv = target->ChildEnv();
  o.unsetenv = {"LIFEBOAT_*"};
  return o;
}

}  // namespace lifeboat::pg
