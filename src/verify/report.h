// The plan's Backup Validation Report: the restore test of the newest
// snapshot of every source, grouped as the plan groups them, and whether
// every backup job ran within its schedule. `lifeboat verify --all
// --report text|json|html` renders it; the text form starts exactly as the
// plan's does:
//
//   Backup Validation Report
//   ========================
//   Date: 2025-01-20 10:30:00
//   Validation Namespace: backup-validation
//
//   Summary:
//   - PostgreSQL Backup: PASS
//   - MongoDB Backup: SKIP (no MongoDB source in this repository)
//   - Redis Backup: FAIL (snapshot 1a2b3c4d of redis://cache:6379: db0: 9 keys (10 at backup))
//   - Configuration Backup: PASS
//   - Backup Jobs: PASS
//
// and then gives the detail: each snapshot tested, its age, what was
// compared, how long the restore took and how many bytes it read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/timefmt.h"

namespace lifeboat {

// The plan's groups, in the report's order. A driver's snapshots go to its
// group ("postgres" → PostgreSQL Backup, "redis" → Redis Backup, "mongodb"
// → MongoDB Backup); files and Kubernetes resources are the Configuration
// Backup.
extern const char* const kValidationGroups[4];
// The group of a source kind ("postgres", "redis", "files", ...).
std::string ValidationGroupOf(const std::string& kind);

enum class Verdict { kPass, kFail, kSkip };
const char* VerdictName(Verdict v);  // "PASS", "FAIL", "SKIP"

// One snapshot's restore test (or why there was none).
struct SnapshotCheck {
  std::string group;   // one of kValidationGroups
  std::string job;     // the config's job, or "" (a repository's source)
  std::string source;  // what was backed up: a path list or a URL without secrets
  std::string host;    // the snapshot's host
  std::string repository;
  std::string snapshot;  // short id; "" when there is none
  Timestamp snapshot_time;
  std::string kind;  // "postgres", "redis", "files"
  Verdict verdict = Verdict::kFail;
  std::string reason;              // FAIL or SKIP: why, in one line
  double seconds = 0;              // restore and comparison: the measured RTO of the source
  uint64_t bytes = 0;              // read from the repository
  uint64_t files = 0;              // file snapshots: files restored
  std::vector<std::string> lines;  // what the test compared, line by line (the driver's report)
};

// One backup job of the config, from the run history.
struct JobCheck {
  std::string job;
  std::string schedule;
  Verdict verdict = Verdict::kFail;
  std::string reason;
  std::string last_result;  // of the newest finished run; "" if it never ran
  Timestamp last_run, last_success;
};

struct SummaryLine {
  std::string name;
  Verdict verdict = Verdict::kSkip;
  std::string reason;
};

struct ValidationReport {
  Timestamp date;
  std::string ns = "backup-validation";
  // True for a config's jobs, false for a repository's sources (a group
  // with none is then "not configured" or "not in the repository").
  bool configured = false;
  std::vector<SnapshotCheck> snapshots;
  std::vector<JobCheck> jobs;
  // Without a config there is no run history to judge: Backup Jobs is SKIP
  // with this reason.
  std::string jobs_skipped;

  // The four groups and Backup Jobs. A group is PASS when every snapshot
  // of it was tested and passed, FAIL (with the first failure's reason)
  // when any failed, SKIP when it has none.
  std::vector<SummaryLine> Summary() const;
  // True when no line of the summary is FAIL.
  bool passed() const;
};

std::string RenderReportText(const ValidationReport& report);
// One JSON object: {"date", "namespace", "passed", "summary": [...],
// "snapshots": [...], "jobs": [...]}.
std::string RenderReportJson(const ValidationReport& report);
// One self-contained HTML page (inline CSS, no scripts, nothing fetched).
std::string RenderReportHtml(const ValidationReport& report);
// The summary in a few lines, for a webhook.
std::string ReportSummaryText(const ValidationReport& report);

}  // namespace lifeboat
