// Bringing one service back from a repository into an endpoint (the DR
// site's, or a drill's scratch one), measured: what failover, failback and
// drills share. The newest restorable point of the service is found in
// the repository, the target is checked to hold nothing, the data is
// restored (a PostgreSQL base backup with its WAL replayed to the end of
// the archive, a logical dump, a Redis snapshot, a directory), the service
// is started where lifeboat starts it, and its health checks are run until
// they pass. The RTO is the declaration to that moment; the RPO is read
// from the heartbeats when the service has them, else bounded.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "dr/plan.h"
#include "dr/record.h"
#include "jobs/spec.h"
#include "repo/repository.h"
#include "repo/snapshot.h"

namespace lifeboat {

// The snapshot of `service` to restore: for a PostgreSQL whose primary
// names its data_dir, the newest base backup of that directory (the WAL
// archive carries it further); else the newest snapshot with the paths
// its source records (jobs/attempt.h RecordedPaths). nullopt if none.
Result<std::optional<Snapshot>> NewestPoint(const DrService& service, const std::vector<Snapshot>& snapshots);
// Every such snapshot, newest first.
Result<std::vector<Snapshot>> ServicePoints(const DrService& service, const std::vector<Snapshot>& snapshots);

// kAlreadyExists naming the target unless it holds nothing a restore
// would replace: a files directory or PostgreSQL data directory missing
// or empty, a Redis with no keys. A PostgreSQL restored logically needs
// its server running: that it answers is checked instead.
Status CheckTargetEmpty(const DrService& service, const DrEndpoint& target, bool physical);

struct RecoverRequest {
  const DrPlan* plan = nullptr;
  const DrService* service = nullptr;
  DrEndpoint target;
  Repository* repo = nullptr;  // index loaded
  RepositorySpec repo_spec;    // for the processes that read it too (pg restore, restore_command)
  Snapshot snapshot;
  // Older points, newest first: when `snapshot` turns out damaged
  // (kCorrupt), the target is emptied and the next is restored, and the
  // outcome's note says so.
  std::vector<Snapshot> fallbacks;
  bool simulate_damage = false;  // a drill: treat `snapshot` as damaged (the repository is not touched)
  Timestamp declared;
  std::string lifeboat_exe;  // this program, for `pg restore`
  // Told each step as it happens (from the service's own thread).
  std::function<void(const DrEvent&)> on_event;
};

// The outcome of `service` before anything was tried: its name, type and
// objectives (the plan's where it has none of its own).
DrServiceOutcome BlankOutcome(const DrPlan& plan, const DrService& service);

// Data validation of a restored point, into `out` (validated, validation).
// ValidateByRestoreTest runs the restore test of `snapshot` (the driver's
// scratch server, or a scratch directory with every file read back) and
// records it in `repo` (its index loaded); a drill does this after the
// service is measured. ValidatedByResults reads the restore tests already
// recorded in `repo` for each outcome's snapshot, the newest counting; a
// failover does this, so as not to delay the recovery.
void ValidateByRestoreTest(Repository& repo, const DrService& service, const Snapshot& snapshot,
                           DrServiceOutcome* out);
void ValidatedByResults(Repository& repo, std::vector<DrServiceOutcome>* outcomes);

// The pg_ctl of this machine: $PATH's, else the newest under
// /usr/lib/postgresql (Debian keeps it off $PATH).
std::string PgCtlPath();

// Restores, starts and health-checks; never throws, never touches the
// primary. The outcome's error names the step that failed.
DrServiceOutcome RecoverService(const RecoverRequest& request);

// Runs a plan command (fence, switch): no shell, its output on our
// stderr, passwords removed from its environment, stopped after 5 min.
Status RunPlanCommand(const std::vector<std::string>& argv, const std::string& what);

// True for a PostgreSQL base backup (restored with WAL replay).
bool IsBaseBackupSnapshot(const Snapshot& s);

// Seconds from a to b.
double SecondsBetween(Timestamp a, Timestamp b);

}  // namespace lifeboat
