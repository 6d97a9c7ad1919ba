// ScratchServer: a throwaway PostgreSQL for restore tests. initdb in a new
// temporary directory, a server listening only on a Unix socket there, and
// everything removed again when the object goes. PostgreSQL refuses to run
// as root: as root, the server runs as the user LIFEBOAT_PG_USER names
// (default "postgres").
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "source/postgres/target.h"

namespace lifeboat::pg {

class ScratchServer {
 public:
  // Starts a server of `major` (or the newest newer one installed).
  static Result<std::unique_ptr<ScratchServer>> Start(int major);
  ~ScratchServer();  // stops the server and removes its directory

  const PgTarget& target() const { return target_; }  // superuser "postgres"
  const std::string& dir() const { return dir_; }
  int major() const { return major_; }

 private:
  ScratchServer() = default;
  Status RunAsOwner(const std::vector<std::string>& argv);

  std::string dir_, bindir_;
  int major_ = 0;
  bool started_ = false;
  long uid_ = -1, gid_ = -1;
  PgTarget target_;
};

}  // namespace lifeboat::pg
