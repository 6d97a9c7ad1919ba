// CRC-64/Jones as Redis computes it (reflected, polynomial 0xad93d23594c935a9,
// no final xor): the checksum at the end of an RDB file and of every DUMP /
// RESTORE payload. Written here because no Debian library has Redis's
// variant; slicing by 8 bytes keeps it off the backup's critical path.
#pragma once

#include <cstdint>
#include <string_view>

namespace lifeboat::redis {

uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace lifeboat::redis
