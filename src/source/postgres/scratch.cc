#include "source/postgres/scratch.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "env/process.h"
#include "source/postgres/tools.h"

namespace lifeboat::pg {

Status ScratchServer::RunAsOwner(const std::vector<std::string>& argv) {
  SubprocessOptions o;
  o.argv = argv;
  o.unsetenv = {"LIFEBOAT_*", "PG*"};
  o.setenv = {{"LC_ALL", "C"}};
  o.stdout_mode = SubprocessOptions::Io::kNull;
  if (uid_ >= 0) {
    o.uid = static_cast<uid_t>(uid_);
    o.gid = static_cast<gid_t>(gid_);
  }
  o.cwd = dir_;
  LB_ASSIGN_OR_RETURN(auto p, Subprocess::Start(o));
  return p->Wait();
}

Result<std::unique_ptr<ScratchServer>> ScratchServer::Start(int major) {
  std::unique_ptr<ScratchServer> s(new ScratchServer());
  LB_ASSIGN_OR_RETURN(std::string initdb, FindTool("initdb", major));
  s->bindir_ = initdb.substr(0, initdb.rfind('/'));
  s->major_ = major;
  if (geteuid() == 0) {
    const char* name = std::getenv("LIFEBOAT_PG_USER");
    std::string user = name && *name ? name : "postgres";
    struct passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr) {
      return NotFound("a scratch PostgreSQL cannot run as root and there is no user \"" + user +
                      "\" to run it as (create one or set LIFEBOAT_PG_USER)");
    }
    s->uid_ = pw->pw_uid;
    s->gid_ = pw->pw_gid;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/lifeboat-scratch-pg-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("create a directory for a scratch PostgreSQL", errno);
  s->dir_ = tmpl;
  if (s->uid_ >= 0 && chown(s->dir_.c_str(), static_cast<uid_t>(s->uid_), static_cast<gid_t>(s->gid_)) != 0) {
    return ErrnoStatus("chown " + s->dir_, errno);
  }
  std::string data = s->dir_ + "/data";
  LB_RETURN_IF_ERROR(s->RunAsOwner({initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync",
                                    "--encoding=UTF8", "--locale=C"})
                         .WithContext("initdb for a scratch PostgreSQL"));
  {
    // Throwaway: no durability, no TCP, a socket in our own directory.
    std::ofstream conf(data + "/postgresql.conf", std::ios::app);
    conf << "\n# lifeboat scratch server\nlisten_addresses = ''\nunix_socket_directories = '" << s->dir_
         << "'\nport = 5432\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
         << "max_connections = 30\nmax_wal_size = 4GB\ncheckpoint_timeout = 30min\n"
         << "maintenance_work_mem = 256MB\nautovacuum = off\n";
    if (!conf) return IoError("write " + data + "/postgresql.conf");
  }
  LB_RETURN_IF_ERROR(s->RunAsOwner({s->bindir_ + "/pg_ctl", "-D", data, "-l", s->dir_ + "/server.log", "-w",
                                    "-t", "60", "-s", "start"})
                         .WithContext("start a scratch PostgreSQL (log: " + s->dir_ + "/server.log)"));
  s->started_ = true;
  LB_ASSIGN_OR_RETURN(s->target_, ParsePgTarget("host=" + s->dir_ + " port=5432 user=postgres"));
  s->target_.password = Secret();
  return s;
}

ScratchServer::~ScratchServer() {
  if (started_) {
    RunAsOwner({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "-s", "stop"}).IgnoreError();
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

}  // namespace lifeboat::pg
