// A run record as JSON: what `lifeboat runs --json`, `run --json`, the
// HTTP API and the webhooks show of a run, in one shape.
#pragma once

#include <nlohmann/json.hpp>

#include "jobs/history.h"

namespace lifeboat {

// id, job, type, trigger, start, end ("" while running), result,
// snapshot_id, bytes_added, error, and duration_seconds once finished.
nlohmann::json RunToJson(const RunRecord& r);

}  // namespace lifeboat
