// Heartbeats: how a failover or drill measures its RPO instead of bounding
// it. For a service with `heartbeat: true`, `lifeboat dr heartbeat` writes
// the time (milliseconds since the epoch) into the primary every few
// seconds: a row of the table lifeboat_heartbeat (service, beat_ms, at) in
// PostgreSQL, the key lifeboat:heartbeat:SERVICE in Redis, the file
// .lifeboat-heartbeat in a files service's directory. Each beat the
// primary accepted is noted in STATE_DIR/dr-heartbeats.json. After a
// recovery, the newest beat found at the target against the newest one
// noted is the data lost: the RPO.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/status.h"
#include "dr/plan.h"

namespace lifeboat {

// Writes beat `ms` into `service` at `at`; kIoError naming the service.
Status WriteHeartbeat(const DrService& service, const DrEndpoint& at, int64_t ms, double timeout_seconds);
// The beat found in `service` at `at`; nullopt when it has none (never
// written, or lost with the data).
Result<std::optional<int64_t>> ReadHeartbeat(const DrService& service, const DrEndpoint& at,
                                             double timeout_seconds);

// Now as a beat: milliseconds since the epoch.
int64_t BeatNow();
// Writes a beat of now into `service` at `at` and notes it in state_dir's
// log once accepted; returns the beat.
Result<int64_t> Beat(const DrService& service, const DrEndpoint& at, const std::string& state_dir,
                     double timeout_seconds);

// The log of beats the primaries accepted: service → the newest beat.
std::map<std::string, int64_t> LoadHeartbeatLog(const std::string& state_dir);
// Notes `ms` for `service` (through a temporary file and a rename).
Status NoteHeartbeat(const std::string& state_dir, const std::string& service, int64_t ms);

}  // namespace lifeboat
