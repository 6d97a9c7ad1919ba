// What a failover, failback or drill did, kept in the repository (results/,
// beside the restore tests' results, verify/results.h; kind "dr") so the DR
// site can show it when the primary is gone, and `lifeboat dr report`
// puts the history together: the timeline, the RTO and RPO measured per
// service and for the plan, each beside its objective.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "engine/progress.h"
#include "repo/repository.h"

namespace lifeboat {

// One step of the timeline: "declared", "fenced", "restore started",
// "restore finished", "healthy", "switched", "failed", ...
struct DrEvent {
  Timestamp time;
  std::string service;  // "" for a step of the whole plan
  std::string what;
  std::string detail;  // one line, no secrets
};

struct DrServiceOutcome {
  std::string service, type;
  bool critical = false;
  std::string snapshot;  // the full id restored ("" if none)
  Timestamp point;  // when the restored data was taken (the snapshot; PostgreSQL: its last replayed commit)
  bool recovered = false;  // restored and its health checks passed
  std::string error;       // when not: why, in one line
  std::string note;        // what else the on-call engineer should know (a fallback to an older point)
  double rto_objective = 0, rpo_objective = 0;
  std::optional<double> rto_seconds;  // declared → health checks passed at the target
  std::optional<double> rpo_seconds;  // the age of the data recovered
  // How the RPO was had: "heartbeat" (the newest heartbeat the primary
  // accepted against the newest found at the target), "heartbeat at the
  // target" (the declaration against it: an upper bound, the writer's log
  // was not here), "last commit" (PostgreSQL's last replayed commit against
  // the declaration, an upper bound), or "backup time" (the point restored
  // against the declaration, an upper bound).
  std::string rpo_how;
  std::optional<double> performance;  // target's probe speed / the primary's (1 = as fast)
  // Data validation: the restore test (verify/trial_restore.h) of the point
  // restored passed (true) or not (false); unset when none was run or
  // recorded. A drill runs it; a failover reads the DR repository's results.
  // Drill scenario primary-lost-mid-write: the acknowledged writes lost
  // when the stand-in primary was lost between two of them.
  std::optional<double> simulated_loss_seconds;
  std::optional<bool> validated;
  std::string validation;  // what was found, one line
  bool rto_met() const { return rto_seconds && *rto_seconds <= rto_objective; }
  bool rpo_met() const { return rpo_seconds && *rpo_seconds <= rpo_objective; }
};

struct DrRecord {
  std::string kind;      // failover, failback, drill
  int level = 0;         // drill: 1 to 4
  std::string scenario;  // drill level 4: which disaster
  std::string plan;      // the plan file's path
  std::string host;      // where lifeboat ran
  Timestamp declared, finished;
  bool succeeded = false;
  std::string error;  // when not: why, in one line
  bool switched = false;
  double rto_objective = 0, rpo_objective = 0;  // the plan's
  std::vector<DrEvent> timeline;
  std::vector<DrServiceOutcome> services;
  // The plan's RTO: the declaration to the last service's health checks
  // passing; unset unless every service came back.
  std::optional<double> rto_seconds() const;
};

std::string DrRecordJson(const DrRecord& record);
Result<DrRecord> ParseDrRecord(std::string_view json);
Result<Id> SaveDrRecord(Repository& repo, const DrRecord& record);
// Every record in the repository, oldest first; one that cannot be read is
// left out with a warning naming it.
Result<std::vector<DrRecord>> LoadDrRecords(Repository& repo, WarningSink* warnings);

}  // namespace lifeboat
