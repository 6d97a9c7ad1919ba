#include "dr/failover.h"

#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "dr/recover.h"
#include "env/env.h"
#include "env/process.h"
#include "jobs/attempt.h"
#include "jobs/hooks.h"
#include "repo/lock.h"

namespace lifeboat {

Result<std::vector<std::vector<const DrService*>>> ChosenGroups(const DrPlan& plan,
                                                                const std::vector<std::string>& names) {
  std::set<std::string> want(names.begin(), names.end());
  for (const std::string& n : want) {
    if (plan.FindService(n) == nullptr) {
      std::string all;
      for (const DrService& s : plan.services) all += (all.empty() ? "" : ", ") + s.name;
      return InvalidArgument("--service " + n + ": no such service in " + plan.path + " (" + all + ")");
    }
  }
  std::vector<std::vector<const DrService*>> out;
  for (const auto& group : plan.groups) {
    std::vector<const DrService*> g;
    for (const std::string& name : group) {
      if (want.empty() || want.count(name) != 0) g.push_back(plan.FindService(name));
    }
    if (!g.empty()) out.push_back(std::move(g));
  }
  return out;
}

DrRecord RunFailover(const DrPlan& plan, const FailoverOptions& options, std::string* save_error) {
  DrRecord rec;
  rec.kind = "failover";
  rec.plan = plan.path;
  rec.host = HostName();
  rec.rto_objective = plan.objectives.rto_seconds;
  rec.rpo_objective = plan.objectives.rpo_seconds;
  rec.declared = Now();
  std::mutex mu;
  auto event = [&](const DrEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    rec.timeline.push_back(e);
    if (options.on_event) options.on_event(e);
  };
  auto stop = [&](const std::string& why) {
    rec.error = why;
    event({Now(), "", "stopped", why});
  };
  event({rec.declared, "", "declared", "failover of " + plan.path + " to the DR site"});

  std::unique_ptr<Repository> repo;
  std::unique_ptr<RepoLock> lock;
  auto finish = [&]() -> DrRecord {
    rec.finished = Now();
    if (repo) {
      auto saved = SaveDrRecord(*repo, rec);
      if (!saved.ok() && save_error != nullptr) *save_error = saved.status().message();
    } else if (save_error != nullptr) {
      *save_error = "the DR repository could not be opened: the record was not saved";
    }
    return rec;
  };

  auto groups = ChosenGroups(plan, options.services);
  if (!groups.ok()) {
    stop(groups.status().message());
    return finish();
  }
  // Everything read and checked before the first change.
  std::map<std::string, Snapshot> points;
  std::map<std::string, std::vector<Snapshot>> fallbacks;  // older points, newest first
  {
    Status s = [&]() -> Status {
      LB_ASSIGN_OR_RETURN(repo, OpenRepository(plan.dr.repository));
      auto locked = RepoLock::AcquireWithRetry(*repo, /*exclusive=*/false, 60 * 1000, [](const Status&) {});
      if (!locked.ok()) return locked.status().WithContext("the DR repository");
      lock = std::move(*locked);
      LB_RETURN_IF_ERROR(repo->LoadIndex());
      LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo->LoadAllSnapshots());
      for (const auto& group : *groups) {
        for (const DrService* s : group) {
          LB_ASSIGN_OR_RETURN(std::vector<Snapshot> older, ServicePoints(*s, all));
          std::optional<Snapshot> p;
          if (!older.empty()) {
            p = older.front();
            older.erase(older.begin());
            fallbacks[s->name] = std::move(older);
          }
          if (!p) {
            return NotFound("the DR repository holds no snapshot of " + s->name +
                            ": nothing to fail over to (is the copy to the DR site running?)");
          }
          LB_RETURN_IF_ERROR(CheckTargetEmpty(*s, s->dr, IsBaseBackupSnapshot(*p)));
          points[s->name] = *p;
        }
      }
      return Status::Ok();
    }();
    if (!s.ok()) {
      stop(s.message() + "; nothing was changed");
      return finish();
    }
  }

  if (!plan.fence_primary.empty()) {
    if (options.no_fence) {
      event({Now(), "", "fence skipped", "--no-fence: the primary was fenced by hand"});
    } else {
      Status f = RunPlanCommand(plan.fence_primary, "switch.fence_primary");
      if (!f.ok()) {
        stop(f.message() +
             "; nothing was restored: fence the primary by hand (stop its writes) and run the "
             "failover again with --no-fence");
        return finish();
      }
      event({Now(), "", "fenced", "switch.fence_primary exited 0"});
    }
  }

  for (const auto& s : *groups) {
    for (const DrService* svc : s) {
      rec.services.push_back(BlankOutcome(plan, *svc));
    }
  }
  auto slot = [&](const std::string& name) -> DrServiceOutcome& {
    for (DrServiceOutcome& o : rec.services) {
      if (o.service == name) return o;
    }
    return rec.services.front();  // unreachable: every chosen service has a slot
  };

  for (size_t g = 0; g < groups->size(); ++g) {
    const auto& group = (*groups)[g];
    std::vector<std::thread> threads;
    std::vector<DrServiceOutcome> outcomes(group.size());
    for (size_t i = 0; i < group.size(); ++i) {
      threads.emplace_back([&, i] {
        RecoverRequest req;
        req.plan = &plan;
        req.service = group[i];
        req.target = group[i]->dr;
        req.repo = repo.get();
        req.repo_spec = plan.dr.repository;
        req.snapshot = points.at(group[i]->name);
        req.fallbacks = fallbacks.at(group[i]->name);
        req.declared = rec.declared;
        req.lifeboat_exe = options.lifeboat_exe;
        req.on_event = event;
        outcomes[i] = RecoverService(req);
      });
    }
    for (std::thread& t : threads) t.join();
    std::string failed;
    for (size_t i = 0; i < group.size(); ++i) {
      slot(group[i]->name) = outcomes[i];
      if (!outcomes[i].recovered && failed.empty()) failed = group[i]->name + ": " + outcomes[i].error;
    }
    if (!failed.empty()) {
      stop("group " + std::to_string(g + 1) + " did not come back (" + failed +
           "); later groups were not restored and traffic was not switched");
      return finish();
    }
  }

  if (!plan.to_dr.empty()) {
    Status sw = RunPlanCommand(plan.to_dr, "switch.to_dr");
    if (!sw.ok()) {
      stop(sw.message() +
           "; the DR services are up and healthy, but traffic was not switched: run the switch "
           "by hand (or fix it and run it), then check the clients");
      return finish();
    }
    rec.switched = true;
    event({Now(), "", "switched", "switch.to_dr exited 0: traffic goes to the DR site"});
  }
  rec.succeeded = true;
  // Data validation from the restore tests already recorded: a failover
  // does not wait for new ones (dr drill --level 1 runs them).
  ValidatedByResults(*repo, &rec.services);
  for (const DrServiceOutcome& o : rec.services) {
    if (!o.validation.empty())
      event({Now(), o.service, o.validated.value_or(false) ? "validated" : "not validated", o.validation});
  }
  event({Now(), "", "done", "every service is up at the DR site"});
  return finish();
}

}  // namespace lifeboat
