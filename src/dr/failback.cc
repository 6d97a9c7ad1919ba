#include "dr/failback.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/bytes.h"
#include "dr/failover.h"
#include "dr/health.h"
#include "dr/heartbeat.h"
#include "dr/recover.h"
#include "engine/copy.h"
#include "env/env.h"
#include "jobs/attempt.h"
#include "repo/lock.h"
#include "server/http.h"

namespace lifeboat {
namespace {

bool NonEmptyDir(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec) && !std::filesystem::is_empty(path, ec);
}

// The pid in DIR/postmaster.pid if that process runs, else 0.
pid_t RunningPostmaster(const std::string& dir) {
  auto text = ReadWholeFile(dir + "/postmaster.pid");
  if (!text.ok()) return 0;
  pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
  return pid > 0 && ProcessAlive(pid) ? pid : 0;
}

std::string Stamp(Timestamp t) {
  std::string s = FormatRfc3339(t).substr(0, 19);  // 2026-12-07T13:09:03
  s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
  s.erase(std::remove(s.begin(), s.end(), ':'), s.end());
  return s;
}

}  // namespace

DrRecord RunFailback(const DrPlan& plan, const FailbackOptions& options, std::string* save_error) {
  DrRecord rec;
  rec.kind = "failback";
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
  event({rec.declared, "", "declared", "failback of " + plan.path + " to the primary site"});

  std::unique_ptr<Repository> dr_repo, primary_repo;
  auto finish = [&]() -> DrRecord {
    rec.finished = Now();
    std::string errors;
    for (auto* repo : {dr_repo.get(), primary_repo.get()}) {
      if (repo == nullptr) continue;
      auto saved = SaveDrRecord(*repo, rec);
      if (!saved.ok()) errors += (errors.empty() ? "" : "; ") + saved.status().message();
    }
    if (save_error != nullptr) *save_error = errors;
    return rec;
  };
  auto groups = ChosenGroups(plan, options.services);
  if (!groups.ok()) {
    stop(groups.status().message());
    return finish();
  }

  // Checked before the first change.
  Status pre = [&]() -> Status {
    LB_ASSIGN_OR_RETURN(dr_repo, OpenRepository(plan.dr.repository));
    LB_ASSIGN_OR_RETURN(primary_repo, OpenRepository(plan.primary.repository));
    for (const auto& group : *groups) {
      for (const DrService* s : group) {
        for (const HealthCheck& h : s->health) {
          HealthResult r = RunHealthCheck(h, *s, s->dr);
          if (!r.ok) {
            return IoError(s->name + " does not answer at the DR site (" + h.kind + ": " + r.detail +
                           "): there is nothing to fail back from");
          }
        }
        if (s->type == "postgres" && !s->primary.data_dir.empty()) {
          if (pid_t pid = RunningPostmaster(s->primary.data_dir)) {
            return AlreadyExists("the primary PostgreSQL of " + s->name + " runs in " + s->primary.data_dir +
                                 " (pid " + std::to_string(pid) +
                                 "): stop it; failback restores into that directory after moving it aside");
          }
        } else if (s->type == "redis" || s->type == "postgres") {
          auto v = QueryValue(s->type == "redis" ? "redis" : "sql", s->primary,
                              s->type == "redis" ? "PING" : "SELECT 1", 10);
          if (!v.ok()) {
            return IoError("the primary of " + s->name + " is not operational: " + v.status().message());
          }
        }
      }
    }
    return Status::Ok();
  }();
  if (!pre.ok()) {
    stop(pre.message() + "; nothing was changed");
    return finish();
  }

  if (!plan.fence_dr.empty()) {
    Status f = RunPlanCommand(plan.fence_dr, "switch.fence_dr");
    if (!f.ok()) {
      stop(f.message() + "; nothing was changed: the DR site keeps serving");
      return finish();
    }
    event({Now(), "", "fenced", "switch.fence_dr exited 0: no more writes at the DR site"});
  }

  // The DR site's data now, into the DR repository and on to the primary's.
  std::map<std::string, Snapshot> points;
  bool wal = false;
  for (const auto& group : *groups) {
    for (const DrService* s : group) {
      const bool physical = s->type == "postgres" && !s->primary.data_dir.empty();
      if (s->heartbeat) {
        // The failback's own beat: found at the primary afterwards, it
        // proves the DR site's writes up to here came back.
        Status hb = Beat(*s, s->dr, plan.state_dir, 10).status();
        if (!hb.ok()) event({Now(), s->name, "warning", hb.message()});
      }
      JobSpec job;
      job.name = "failback-" + s->name;
      job.type = s->type;
      job.source = s->type == "files" ? s->dr.path : s->dr.url;
      job.repository = plan.dr.repository.name;
      job.options = s->source_options;
      if (physical) job.options["physical"] = {"true"};
      job.tags = {"dr-failback"};
      JobTargets targets;
      targets.repository = plan.dr.repository;
      targets.copy_to = {plan.primary.repository};
      event({Now(), s->name, "backup started", "of the DR site's " + MaskUrlPassword(job.source)});
      ProgressCounters progress;
      AttemptResult r = RunAttempt(job, targets, &progress, nullptr);
      if (r.result != "success") {
        stop(s->name + ": the backup at the DR site failed: " + r.error +
             "; nothing was changed at the primary");
        return finish();
      }
      event({Now(), s->name, "backed up",
             "snapshot " + r.snapshot_id.substr(0, 8) + " in the DR repository, copied to the primary's"});
      auto snap = dr_repo->LoadSnapshot(*Id::FromHex(r.snapshot_id));
      if (!snap.ok()) {
        stop(snap.status().message());
        return finish();
      }
      points[s->name] = *snap;
      wal = wal || physical;
    }
  }
  if (wal) {
    auto copied = CopyLogArchive(*dr_repo, *primary_repo);
    if (!copied.ok()) {
      stop("the WAL of the DR site could not be copied to the primary repository: " +
           copied.status().message() + "; nothing was changed at the primary");
      return finish();
    }
    event({Now(), "", "WAL copied",
           std::to_string(copied->files_copied) + " files of the DR repository's archive to the primary's"});
  }
  std::unique_ptr<RepoLock> lock;
  {
    auto locked = RepoLock::AcquireWithRetry(*primary_repo, false, 60 * 1000, [](const Status&) {});
    Status s = locked.ok() ? primary_repo->LoadIndex() : locked.status();
    if (locked.ok()) lock = std::move(*locked);
    if (!s.ok()) {
      stop("the primary repository: " + s.message());
      return finish();
    }
  }
  auto all = primary_repo->LoadAllSnapshots();
  if (!all.ok()) {
    stop("the primary repository: " + all.status().message());
    return finish();
  }

  for (const auto& group : *groups) {
    for (const DrService* s : group) {
      rec.services.push_back(BlankOutcome(plan, *s));
    }
  }
  const std::string stamp = Stamp(rec.declared);
  for (size_t g = 0; g < groups->size(); ++g) {
    const auto& group = (*groups)[g];
    std::vector<DrServiceOutcome> outcomes(group.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < group.size(); ++i) {
      threads.emplace_back([&, i] {
        const DrService& s = *group[i];
        DrServiceOutcome& out = outcomes[i];
        out.service = s.name;
        // The copy in the primary repository: same paths, the newest.
        const Snapshot& made = points.at(s.name);
        std::optional<Snapshot> copy;
        for (const Snapshot& c : *all) {
          if (c.paths == made.paths && c.hostname == made.hostname && (!copy || copy->time < c.time))
            copy = c;
        }
        if (!copy) {
          out.error = "its backup did not reach the primary repository";
          event({Now(), s.name, "failed", out.error});
          return;
        }
        // What the primary held from before the outage: moved aside.
        const bool physical = IsBaseBackupSnapshot(made);
        const std::string dir = s.type == "files" ? s.primary.path : physical ? s.primary.data_dir : "";
        if (!dir.empty() && NonEmptyDir(dir)) {
          const std::string aside = dir + ".before-failback-" + stamp;
          std::error_code ec;
          std::filesystem::rename(dir, aside, ec);
          if (ec) {
            out.error = "move " + dir + " aside: " + ec.message();
            event({Now(), s.name, "failed", out.error});
            return;
          }
          event({Now(), s.name, "moved aside", dir + " is now " + aside});
        } else if (s.type == "redis") {
          auto keys = QueryValue("redis", s.primary, "DBSIZE", 10);
          auto flushed = QueryValue("redis", s.primary, "FLUSHALL", 60);
          if (!flushed.ok()) {
            out.error = flushed.status().message();
            event({Now(), s.name, "failed", out.error});
            return;
          }
          const std::string n = keys.ok() ? *keys : "its";
          event({Now(), s.name, "emptied",
                 n + (n == "1" ? " key" : " keys") + " from before the outage removed (FLUSHALL)"});
        }
        RecoverRequest req;
        req.plan = &plan;
        req.service = &s;
        req.target = s.primary;
        req.repo = primary_repo.get();
        req.repo_spec = plan.primary.repository;
        req.snapshot = *copy;
        req.declared = rec.declared;
        req.lifeboat_exe = options.lifeboat_exe;
        req.on_event = event;
        out = RecoverService(req);
      });
    }
    for (std::thread& t : threads) t.join();
    std::string failed;
    for (size_t i = 0; i < group.size(); ++i) {
      for (DrServiceOutcome& o : rec.services) {
        if (o.service == group[i]->name) o = outcomes[i];
      }
      if (!outcomes[i].recovered && failed.empty()) failed = group[i]->name + ": " + outcomes[i].error;
    }
    if (!failed.empty()) {
      stop("group " + std::to_string(g + 1) + " did not come back at the primary (" + failed +
           "); traffic stays at the DR site, which still serves every service");
      return finish();
    }
  }

  if (!plan.to_primary.empty()) {
    Status sw = RunPlanCommand(plan.to_primary, "switch.to_primary");
    if (!sw.ok()) {
      stop(sw.message() +
           "; the primary's services are up and healthy, but traffic was not switched back: run "
           "the switch by hand (or fix it and run it); keep the DR site running until then");
      return finish();
    }
    rec.switched = true;
    event({Now(), "", "switched", "switch.to_primary exited 0: traffic goes to the primary site"});
  }
  std::string down;
  for (const auto& group : *groups) {
    for (const DrService* s : group) {
      down += (down.empty() ? "" : ", ") + s->name + " (" +
              (s->type == "files"       ? s->dr.path
               : s->dr.data_dir.empty() ? MaskUrlPassword(s->dr.url)
                                        : "PostgreSQL in " + s->dr.data_dir) +
              ")";
    }
  }
  event({Now(), "", "scale down",
         "the DR site still runs " + down + ": stop them once the clients have moved"});
  rec.succeeded = true;
  event({Now(), "", "done", "every service is back at the primary site"});
  return finish();
}

}  // namespace lifeboat
