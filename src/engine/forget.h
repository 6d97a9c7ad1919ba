// Retention: which snapshots a policy keeps, with restic's rules and flag
// semantics ("forget --keep-daily 7 --keep-within 30d ..."), so that the
// same policy keeps the same snapshots in both tools.
//
// Snapshots are grouped (by host and paths unless told otherwise); within a
// group, newest first, a snapshot is kept if it carries a kept tag, is within
// --keep-within of the group's newest snapshot, or is the first one seen in a
// new hour/day/week/month/year while that bucket still has a count left.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "repo/snapshot.h"

namespace lifeboat {

// restic's duration for --keep-within: years, months, days, hours ("1y6m",
// "30d", "36h"); calendar arithmetic back from the newest snapshot.
struct CalendarDuration {
  int years = 0, months = 0, days = 0, hours = 0;
  bool zero() const { return years == 0 && months == 0 && days == 0 && hours == 0; }
  std::string ToString() const;
};
Result<CalendarDuration> ParseCalendarDuration(std::string_view s);

struct RetentionPolicy {
  // Counts of buckets to keep; 0: rule off; -1: unlimited.
  int last = 0, hourly = 0, daily = 0, weekly = 0, monthly = 0, yearly = 0;
  CalendarDuration within, within_hourly, within_daily, within_weekly, within_monthly, within_yearly;
  // Keep snapshots that have all tags of any one list.
  std::vector<std::vector<std::string>> keep_tags;

  bool empty() const;
  std::string ToString() const;  // "keep 7 daily, 4 weekly snapshots, within 30d"
};

struct RetentionDecision {
  Snapshot snapshot;
  bool keep = false;
  std::vector<std::string> reasons;  // why kept ("daily snapshot", "within 30d", ...)
};

// Decides for one group; returns the snapshots newest first.
std::vector<RetentionDecision> ApplyRetention(std::vector<Snapshot> group, const RetentionPolicy& policy);

// A named policy from a policy file, applied to the snapshots that carry
// its tag (by default, its name).
struct NamedPolicy {
  std::string name;
  std::string tag;
  RetentionPolicy policy;
};

// Reads a policy file (YAML):
//   operational: {within: 30d}
//   cache:       {within: 7d}
//   dr:          {within: 90d}
//   compliance:  {monthly: 84, tag: compliance}
// Keys: last, hourly, daily, weekly, monthly, yearly (counts or "unlimited"),
// within, within-hourly ... within-yearly (durations), keep-tags (list of
// "a,b"), tag. kInvalidArgument names the policy and key that is wrong.
Result<std::vector<NamedPolicy>> ParsePolicyFile(std::string_view yaml);

struct SnapshotGroupKey {
  std::string host;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  bool operator<(const SnapshotGroupKey& o) const;
};

// Splits snapshots by the comma-separated `group_by` fields ("host", "paths",
// "tags"; "" = one group). kInvalidArgument for an unknown field.
Result<std::vector<std::pair<SnapshotGroupKey, std::vector<Snapshot>>>> GroupSnapshots(
    std::vector<Snapshot> snapshots, std::string_view group_by);

// Snapshots with this tag are never removed: not by any policy, not by ID.
constexpr char kHoldTag[] = "hold";

// What forget decided for one group under one policy.
struct ForgetGroup {
  std::string policy;  // the named policy; "" for the one given by flags
  std::string tag;     // the snapshots it applies to; "" = all
  RetentionPolicy rules;
  SnapshotGroupKey key;
  std::vector<RetentionDecision> keep, remove;
};

struct ForgetPlan {
  std::vector<ForgetGroup> groups;
  // The snapshots to remove: some policy applies to each, none keeps it,
  // and none is on hold.
  std::vector<RetentionDecision> removals;
  size_t untouched = 0;  // snapshots no policy applies to (they stay)
};

// Plans a forget over `snapshots` for each policy in turn (one with an
// empty tag applies to every snapshot), grouped by `group_by`. The hold tag
// wins over every policy. Nothing is changed.
Result<ForgetPlan> PlanForget(const std::vector<Snapshot>& snapshots, const std::vector<NamedPolicy>& policies,
                              std::string_view group_by);

// kInvalidArgument for a snapshot on hold (forget by ID refuses it).
Status CheckRemovable(const Snapshot& snapshot);

}  // namespace lifeboat
