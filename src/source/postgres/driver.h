// The PostgreSQL driver for the registry (source/registry.h): backup
// postgres://... (logical), restore --to postgres://..., dump and verify of
// logical snapshots; and the physical Source that `pg basebackup` runs.
#pragma once

#include <memory>

#include "source/registry.h"

namespace lifeboat::pg {

Driver PostgresDriver();

// doctor's checks of the server at `url` (source/registry.h Diagnosis).
std::vector<Diagnosis> DiagnosePostgres(const std::string& url, const OptionView& options);

// The base-backup Source for `pg basebackup URL`: options type (full, diff,
// auto), full-after (days), archive-timeout (duration), force.
Result<std::unique_ptr<Source>> PhysicalSourceFor(const std::string& url, const OptionView& options);

}  // namespace lifeboat::pg
