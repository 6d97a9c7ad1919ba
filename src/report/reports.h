// The plan's audit reports of a repository (`lifeboat report
// inventory|compliance|cost`):
//
//   inventory   every snapshot by source, job, retention class, size, age,
//               repository and storage class; totals per retention class
//               (the plan's monthly backup inventory)
//   compliance  per retention class, what the policy promises against what
//               the repository holds: the required period and the oldest
//               snapshot, gaps against the jobs' schedules, held snapshots,
//               restore tests and failed runs in the period, the DR copies
//   cost        bytes by storage class and by source, priced by a table
//               (per GB-month, retrieval), this month and projected under
//               the plan's lifecycle (Standard → IA at 30 days → Glacier at
//               90), and the saving against the plan's gzip -9 dumps
//
// Each is gathered once (RepositoryFacts) and rendered as text, JSON, HTML
// (one self-contained page) and, for the inventory, CSV.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"
#include "engine/usage.h"
#include "jobs/history.h"
#include "repo/repository.h"
#include "scheduler/config.h"

namespace lifeboat {

struct SnapshotFacts {
  Snapshot snapshot;
  std::string kind;       // postgres, redis, files
  std::string source;     // its paths
  std::string job;        // the config's job whose snapshots these are, or ""
  std::string retention;  // the retention class whose tag it carries, or ""
  bool held = false;      // the hold tag
  SnapshotUsage usage;
  std::string storage_class;  // where most of its bytes lie ("local" for a local repository)
};

struct RepositoryFacts {
  Timestamp now;
  std::string repository;  // its name (the config's) or URL
  bool s3 = false;
  std::vector<SnapshotFacts> snapshots;  // oldest first
  // The repository's files: data packs by storage class, and everything
  // else (index, snapshots, keys, config) that must stay in the standard class.
  std::map<std::string, uint64_t> pack_bytes_by_class;
  uint64_t metadata_bytes = 0;
  // Per pack: its size and the time of the oldest snapshot using it (its
  // upload, near enough), for the lifecycle projection.
  struct Pack {
    uint64_t size = 0;
    std::string storage_class;
    Timestamp first_used;
  };
  std::map<Id, Pack> packs;
  // Stored bytes of each retention class's and each source's snapshots,
  // each blob once.
  std::map<std::string, uint64_t> stored_by_class, stored_by_source;
  // gzip -9 of a sample of each source's newest snapshot: compressed/raw.
  std::map<std::string, double> gzip_ratio_by_source;
  const Config* config = nullptr;
  RunHistory* history = nullptr;
};

// Reads the repository (its index loaded) once for the reports. `config`
// and `history` may be null: no job names, classes or run records then.
Result<RepositoryFacts> GatherFacts(Repository& repo, const std::string& name, bool s3, const Config* config,
                                    RunHistory* history, Timestamp now);

// Prices per storage class (USD), the default AWS S3 us-east-1 list prices;
// a YAML file replaces or adds classes:
//   STANDARD:    {gb_month: 0.023}
//   STANDARD_IA: {gb_month: 0.0125, retrieval_gb: 0.01}
//   GLACIER:     {gb_month: 0.0036, retrieval_gb: 0.01}
struct ClassPrice {
  double gb_month = 0;
  double retrieval_gb = 0;
};
struct PriceTable {
  std::map<std::string, ClassPrice> classes;
  static PriceTable Default();
  // kInvalidArgument naming the file and key for anything malformed.
  static Result<PriceTable> Load(const std::string& path);
  ClassPrice For(const std::string& storage_class) const;  // "local" and unknown: STANDARD's
};

// format: text, json, html, csv (inventory only). kInvalidArgument for
// another.
Result<std::string> RenderInventory(const RepositoryFacts& facts, const std::string& format);
Result<std::string> RenderCompliance(const RepositoryFacts& facts, const std::string& format);
Result<std::string> RenderCost(const RepositoryFacts& facts, const PriceTable& prices,
                               const std::string& format);

}  // namespace lifeboat
