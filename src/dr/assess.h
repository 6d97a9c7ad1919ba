// `lifeboat dr assess`: the plan's option 1, "assess impact". For each
// service: does the primary answer (its health checks), what is the newest
// point each site's repository can restore, the RPO if the primary were
// lost now (the age of the DR repository's newest point), the DR copy's
// lag behind the primary repository, and the RTO to expect (the duration of
// the last restore test of that service recorded in the repository,
// verify/results.h). Could the DR site take over within the objectives?
//
// A PostgreSQL backed up physically reaches past its newest base backup:
// its newest point is the last commit in the WAL archived after it (what a
// recovery replays to the end of the archive), read from the segments
// themselves. For the other services it is the newest snapshot's time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/timefmt.h"
#include "dr/health.h"
#include "dr/plan.h"

namespace lifeboat {

struct SitePoint {
  bool reachable = false;
  std::string error;                      // when not reachable: why
  std::optional<Timestamp> newest;        // the newest point a restore there reaches
  std::string snapshot;                   // the newest snapshot of the service there: its short id
  std::string point;  // how `newest` was found: "the snapshot's time", "the last commit in WAL ..."
  std::optional<double> restore_seconds;  // the last recorded restore test of the service there
  std::optional<Timestamp> restore_time;
};

struct ServiceAssessment {
  std::string service;
  bool primary_healthy = false;
  std::vector<std::pair<HealthCheck, HealthResult>> health;  // at the primary
  SitePoint primary, dr;
  double rpo_objective = 0, rto_objective = 0;
  std::optional<double> rpo_seconds;       // if the primary were lost now: now - the DR point
  std::optional<double> copy_lag_seconds;  // primary point - DR point (0 when level)
  std::optional<double> rto_estimate;      // the last restore test's duration
  bool within = false;                     // the DR site could take over within both objectives
  std::string reason;                      // when not: why, in one line
};

struct Assessment {
  Timestamp now;
  std::vector<ServiceAssessment> services;  // in restore order
  bool within() const;
};

Assessment AssessPlan(const DrPlan& plan, Timestamp now);

}  // namespace lifeboat
