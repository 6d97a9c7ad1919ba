// lifeboat doctor: the whole chain checked, each failure with its fix.
//
//   repository  reachable; the password opens a key; on S3 the
//               credentials, the permissions a backup needs (write, read,
//               list, delete of a probe object under PREFIX/lifeboat-doctor/),
//               the clock against the server's Date, default encryption,
//               versioning, Object Lock and lifecycle rules; stale locks
//   job         its source (the driver's checks: connection,
//               authentication, tool versions, archiving), free space for
//               its restore test, the DR copy's lag (from the run history)
//
// A check is PASS, WARN (works, but against the plan's advice) or FAIL.
// Nothing here writes to a repository except the probe object, which it
// removes; no message holds a secret.
#pragma once

#include <string>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "jobs/history.h"
#include "jobs/spec.h"
#include "scheduler/config.h"
#include "source/registry.h"

namespace lifeboat {

struct DoctorCheck {
  std::string area;  // "repository primary", "job postgres"
  Diagnosis result;
};

struct DoctorReport {
  std::vector<DoctorCheck> checks;
  size_t Count(Diagnosis::Level level) const;
  bool passed() const { return Count(Diagnosis::Level::kFail) == 0; }
  // One line per check ("FAIL  repository dr: s3 write: ... → fix: ..."),
  // then a count.
  std::string Text() const;
  // {"passed": bool, "checks": [{"area", "check", "result", "detail", "fix"}]}
  std::string Json() const;
};

// The checks of one repository (see above).
void CheckRepository(const RepositorySpec& repo, DoctorReport* report);

// The checks of a config: every repository, then every backup job.
// `history` may be null (no DR lag, no size for the free-space check).
void CheckConfig(const Config& config, RunHistory* history, DoctorReport* report);

}  // namespace lifeboat
