// `lifeboat dr drill`: the plan's option 4, a non-disruptive test. Nothing
// of production is touched: points are read from the DR repository, and
// everything restored goes into a scratch environment made for the drill
// on loopback (a directory under the plan's scratch_dir, free ports, a
// PostgreSQL started there with archiving off, a redis-server started
// there), which is removed again when the drill ends, also after a
// failure. Only a service's probe, when the plan has one, is run (read
// only) at the primary to compare speeds.
//
//   level 1 (weekly)     the restore test of every service's newest point
//                        (verify/trial_restore.h), recorded as verify does
//   level 2 (monthly)    one service (--service, else the first critical
//                        one) brought back into scratch: restored,
//                        started, health-checked, its data read, measured
//   level 3 (quarterly)  every service, in group order, into scratch
//   level 4 (annual)     level 3 under a disaster (DrillScenarios()):
//                        repository-unreachable (the DR repository alone:
//                        the primary's is never opened), damaged-pack (each
//                        newest point treated as unreadable: the point
//                        before is restored and the cost in RPO shown), copy-lag
//                        (the DR copy's lag behind the primary repository
//                        measured against the RPO, then level 3),
//                        primary-lost-mid-write (each Redis and files
//                        service, brought back, plays a primary that is
//                        written to, snapshotted mid-write and lost; the
//                        acknowledged writes lost are measured)
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dr/plan.h"
#include "dr/record.h"

namespace lifeboat {

struct DrillOptions {
  int level = 0;
  std::vector<std::string> services;  // level 2: the one; 1, 3, 4: only these ("" = all)
  std::string scenario;               // level 4
  std::string lifeboat_exe;
  std::function<void(const DrEvent&)> on_event;
};

// Stops the servers of every drill scratch place of this process and
// removes them; returns how many there were. For an interrupt (SIGINT,
// SIGTERM): the drill's threads are not unwound before the process exits.
int CleanUpDrillScratch();

// The level-4 scenarios this build runs.
const std::vector<std::string>& DrillScenarios();

// kInvalidArgument (in record.error, nothing run) for a level outside 1-4,
// a level 4 without a known scenario, or level 2 with more than one service.
DrRecord RunDrill(const DrPlan& plan, const DrillOptions& options, std::string* save_error);

}  // namespace lifeboat
