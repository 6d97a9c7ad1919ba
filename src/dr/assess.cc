#include "dr/assess.h"

#include <algorithm>
#include <set>

#include "base/bytes.h"
#include "dr/recover.h"
#include "engine/snapshot_reader.h"
#include "jobs/attempt.h"
#include "jobs/spec.h"
#include "source/registry.h"
#include "verify/results.h"

namespace lifeboat {
namespace {

// What one site's repository holds of each service, opened once.
std::vector<SitePoint> PointsAt(const DrSite& site, const std::vector<const DrService*>& services) {
  std::vector<SitePoint> out(services.size());
  auto fail = [&](const std::string& why) {
    for (SitePoint& p : out) p.error = why;
    return out;
  };
  auto repo = OpenRepository(site.repository);
  if (!repo.ok()) return fail(repo.status().message());
  auto snapshots = (*repo)->LoadAllSnapshots();
  if (!snapshots.ok()) return fail(snapshots.status().message());
  auto results = LoadResults(**repo, nullptr);
  bool index_loaded = false;
  for (size_t i = 0; i < services.size(); ++i) {
    SitePoint& p = out[i];
    p.reachable = true;
    auto newest = NewestPoint(*services[i], *snapshots);
    if (!newest.ok()) {
      p.error = newest.status().message();
      continue;
    }
    if (!*newest) continue;
    p.newest = (*newest)->time;
    p.snapshot = (*newest)->id.Short();
    p.point = "the snapshot's time";
    // A continuous archive (PostgreSQL's WAL) reaches past the snapshot.
    const Driver* driver = DriverForUrl(services[i]->primary.url);
    if (driver != nullptr && driver->newest_point) {
      if (!index_loaded) {  // once, and only when a snapshot's files are read
        Status loaded = (*repo)->LoadIndex();
        if (!loaded.ok()) {
          p.error = loaded.message();
          continue;
        }
        index_loaded = true;
      }
      RepoSnapshotReader reader(**repo, **newest);
      auto reach = driver->newest_point(reader);
      if (!reach.ok()) {
        p.error = reach.status().message();
        continue;
      }
      if (*reach) {
        p.newest = (*reach)->time;
        p.point = (*reach)->detail;
      }
    }
    // The restore tests of any snapshot of the same series count.
    std::set<std::string> ids;
    for (const Snapshot& snap : *snapshots) {
      if (snap.paths == (*newest)->paths) ids.insert(snap.id.Hex());
    }
    if (!results.ok()) continue;
    for (const RunResult& r : *results) {  // oldest first: the last passing test wins
      if (r.kind == "verify" && r.passed && r.sample_groups == 0 && ids.count(r.snapshot) != 0) {
        p.restore_seconds = r.seconds;
        p.restore_time = r.time;
      }
    }
  }
  return out;
}

double Seconds(Timestamp from, Timestamp to) {
  return double(to.sec - from.sec) + double(to.nsec - from.nsec) / 1e9;
}

}  // namespace

bool Assessment::within() const {
  return std::all_of(services.begin(), services.end(), [](const ServiceAssessment& s) { return s.within; });
}

Assessment AssessPlan(const DrPlan& plan, Timestamp now) {
  Assessment a;
  a.now = now;
  std::vector<const DrService*> order;
  for (const auto& group : plan.groups) {
    for (const std::string& name : group) order.push_back(plan.FindService(name));
  }
  std::vector<SitePoint> primary = PointsAt(plan.primary, order);
  std::vector<SitePoint> dr = PointsAt(plan.dr, order);
  for (size_t i = 0; i < order.size(); ++i) {
    const DrService& s = *order[i];
    ServiceAssessment sa;
    sa.service = s.name;
    sa.primary = primary[i];
    sa.dr = dr[i];
    sa.rpo_objective = s.rpo_seconds(plan.objectives);
    sa.rto_objective = s.rto_seconds(plan.objectives);
    sa.primary_healthy = true;
    for (const HealthCheck& h : s.health) {
      HealthResult r = RunHealthCheck(h, s, s.primary);
      sa.primary_healthy = sa.primary_healthy && r.ok;
      sa.health.emplace_back(h, r);
    }
    if (sa.dr.newest) {
      sa.rpo_seconds = std::max(0.0, Seconds(*sa.dr.newest, now));
      if (sa.primary.newest) sa.copy_lag_seconds = std::max(0.0, Seconds(*sa.dr.newest, *sa.primary.newest));
    }
    // The restore test recorded at the DR site, else at the primary's
    // repository (the same snapshot, copied).
    sa.rto_estimate = sa.dr.restore_seconds ? sa.dr.restore_seconds : sa.primary.restore_seconds;
    if (!sa.dr.reachable) {
      sa.reason = "the DR repository cannot be read: " + sa.dr.error;
    } else if (!sa.dr.error.empty()) {
      sa.reason = sa.dr.error;
    } else if (!sa.dr.newest) {
      sa.reason = "the DR repository holds no snapshot of it";
    } else if (*sa.rpo_seconds > sa.rpo_objective) {
      sa.reason =
          "RPO " + HumanDuration(*sa.rpo_seconds) + " over the objective " + HumanDuration(sa.rpo_objective);
    } else if (!sa.rto_estimate) {
      sa.reason = "no restore test of it is recorded: the RTO is not known";
    } else if (*sa.rto_estimate > sa.rto_objective) {
      sa.reason = "the last restore took " + HumanDuration(*sa.rto_estimate) + ", over the RTO objective " +
                  HumanDuration(sa.rto_objective);
    } else {
      sa.within = true;
    }
    a.services.push_back(std::move(sa));
  }
  return a;
}

}  // namespace lifeboat
