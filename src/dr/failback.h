// `lifeboat dr failback`: the plan's option 3, after a failover, once the
// primary site is back. Every service running at the DR site is backed
// up into the DR repository and copied (with the WAL) to the primary
// repository, restored at the primary in group order (what the primary
// held from before the outage is moved aside, never deleted: DIR becomes
// DIR.before-failback-TIME; a Redis is emptied), health-checked there,
// and traffic is switched back (switch.to_primary). What the DR site
// should then scale down is listed. Writes made at the DR site during the
// outage are in that last backup; switch.fence_dr, when the plan has it,
// stops further writes there before it is taken.
//
// Before anything changes: both repositories are read, every service
// must answer at the DR site, a primary PostgreSQL to be restored must
// not be running and a primary Redis must answer. The record goes into
// both repositories.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dr/plan.h"
#include "dr/record.h"

namespace lifeboat {

struct FailbackOptions {
  std::vector<std::string> services;  // only these ("" = all)
  std::string lifeboat_exe;
  std::function<void(const DrEvent&)> on_event;
};

DrRecord RunFailback(const DrPlan& plan, const FailbackOptions& options, std::string* save_error);

}  // namespace lifeboat
