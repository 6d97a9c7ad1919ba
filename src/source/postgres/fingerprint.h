// Fingerprints: per table, the row count and an order-independent checksum
// of the rows' contents, taken at backup time in the same transaction
// snapshot as the dump, and again after a restore to prove that the data
// came back. The checksum is the sum of hashtextextended(row::text, 0) (a
// 64-bit hash) over all rows, with the session's output settings pinned (UTC, ISO dates,
// hex bytea, shortest exact floats) so that equal data gives equal text.
// Sequences count as one row (last_value, is_called); large objects as one
// pseudo-table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "source/postgres/target.h"

namespace lifeboat::pg {

struct TableFingerprint {
  std::string name;  // schema.table, as written in SQL (quoted where needed)
  std::string kind;  // "table", "sequence", "large objects"
  uint64_t rows = 0;
  std::string checksum;  // decimal
};

struct DatabaseFingerprint {
  std::string database;
  std::vector<TableFingerprint> tables;  // sorted by name
};

// Takes the fingerprint of `db`. If `snapshot` is not empty, every
// connection imports that exported snapshot (pg_export_snapshot) and sees
// exactly what the dump sees. `connections` tables are read at once.
Result<DatabaseFingerprint> TakeFingerprint(const PgTarget& target, const std::string& db,
                                            const std::string& snapshot, int connections);

std::string FingerprintToJson(const DatabaseFingerprint& f);
Result<DatabaseFingerprint> FingerprintFromJson(std::string_view json);

struct TableComparison {
  std::string name;
  bool ok = false;
  std::string detail;  // "12 rows", "rows: 12 at backup, 11 restored", "missing after restore"
};

// Compares a fingerprint taken at backup time with one of the restored data.
std::vector<TableComparison> CompareFingerprints(const DatabaseFingerprint& expected,
                                                 const DatabaseFingerprint& actual);

}  // namespace lifeboat::pg
