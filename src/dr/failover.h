// `lifeboat dr failover`: the plan's option 2. The primary is fenced (if
// the plan says how), every service is brought back from the DR
// repository into the DR site in group order (the services of a group in
// parallel, dr/recover.h), and when all are healthy traffic is switched
// (switch.to_dr). Each step is timed into a record kept in the DR
// repository (dr/record.h). Nothing here writes to the primary.
//
// Before anything is done — before the fence — the DR repository is read,
// every service's newest point found and every DR target checked to hold
// nothing; any failure there stops the failover with nothing changed. A
// group that fails stops it before the next group and before the switch,
// so traffic never moves to a half-restored site.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dr/plan.h"
#include "dr/record.h"

namespace lifeboat {

struct FailoverOptions {
  std::vector<std::string> services;             // only these ("" = all), in the plan's group order
  bool no_fence = false;                         // the primary was fenced by hand
  std::string lifeboat_exe;                      // this program, for `pg restore`
  std::function<void(const DrEvent&)> on_event;  // each step as it happens (any thread, one at a time)
};

// The record of the failover (saved in the DR repository when it can be
// read; a failure to save is a warning in *save_error). record.succeeded
// is false with record.error set when it stopped; record.error is the
// first line the on-call engineer needs.
DrRecord RunFailover(const DrPlan& plan, const FailoverOptions& options, std::string* save_error);

// The services named (all when empty), in group order: kInvalidArgument
// for a name the plan lacks.
Result<std::vector<std::vector<const DrService*>>> ChosenGroups(const DrPlan& plan,
                                                                const std::vector<std::string>& names);

}  // namespace lifeboat
