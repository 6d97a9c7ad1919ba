#include "source/all/all.h"

#include "source/postgres/driver.h"
#include "source/redis/driver.h"
#include "source/registry.h"

namespace lifeboat {

void RegisterAllDrivers() {
  RegisterDriver(pg::PostgresDriver());
  RegisterDriver(redis::RedisDriver());
}

}  // namespace lifeboat
