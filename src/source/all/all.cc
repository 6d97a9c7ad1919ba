#include "source/all/all.h"

#include "source/fs/files.h"
#include "source/postgres/driver.h"
#include "source/redis/driver.h"
#include "source/registry.h"

namespace lifeboat {

void RegisterAllDrivers() {
  RegisterDriver(pg::PostgresDriver());
  RegisterDriver(redis::RedisDriver());
  RegisterFilesSource([](std::vector<std::string> paths) -> std::unique_ptr<Source> {
    return std::make_unique<fs::FilesSource>(std::move(paths));
  });
}

}  // namespace lifeboat
