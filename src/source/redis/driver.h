// The Redis driver for the registry (source/registry.h): backup
// redis://..., restore --to redis://... and --data-dir, dump, verify.
#pragma once

#include "source/registry.h"

namespace lifeboat::redis {

Driver RedisDriver();

}  // namespace lifeboat::redis
