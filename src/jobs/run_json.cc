#include "jobs/run_json.h"

namespace lifeboat {

nlohmann::json RunToJson(const RunRecord& r) {
  nlohmann::json j{{"id", r.id},
                   {"job", r.job},
                   {"type", r.type},
                   {"trigger", r.trigger},
                   {"start", FormatRfc3339(r.start)},
                   {"end", r.finished() ? FormatRfc3339(r.end) : ""},
                   {"result", r.result},
                   {"snapshot_id", r.snapshot_id},
                   {"bytes_added", r.bytes_added},
                   {"error", r.error}};
  if (r.finished()) j["duration_seconds"] = r.duration_seconds();
  return j;
}

}  // namespace lifeboat
