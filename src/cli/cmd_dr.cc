// dr: the disaster-recovery plan (dr/plan.h, docs/dr.md). `dr check
// --plan FILE` reads the plan, checks it and prints what it would do: the
// objectives, the two sites' repositories, the services in restore order
// with their objectives and health checks, and the switch commands.
// `dr assess` judges whether the DR site could take over now; `dr
// failover` does it; `dr heartbeat` writes the beats that measure the RPO;
// `dr report` shows what failovers and drills measured.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/bytes.h"
#include "cli/commands.h"
#include "dr/assess.h"
#include "dr/drill.h"
#include "dr/failback.h"
#include "dr/failover.h"
#include "dr/health.h"
#include "dr/heartbeat.h"
#include "dr/plan.h"
#include "dr/record.h"
#include "env/clock.h"
#include "env/process.h"
#include "env/signals.h"
#include "jobs/attempt.h"
#include "repo/lock.h"
#include "server/http.h"

namespace lifeboat::cli {
namespace {

std::string Joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// 4h, 15m, 1h30m, 90s: a duration as the plan file writes it.
std::string PlanDuration(double seconds) {
  auto total = static_cast<long long>(seconds + 0.5);
  if (total <= 0) return "0s";
  std::string out;
  for (auto [unit, n] : {std::pair{'d', 86400LL}, {'h', 3600LL}, {'m', 60LL}, {'s', 1LL}}) {
    if (total >= n) out += std::to_string(total / n) + unit;
    total %= n;
  }
  return out;
}

std::string DescribeHealth(const HealthCheck& h) {
  std::string what = h.kind == "command" ? Joined(h.argv) : MaskUrlPassword(h.target);
  return h.kind + " " + what + " (within " + PlanDuration(h.timeout_seconds) + ")";
}

std::string DescribeEndpoint(const DrService& s, const DrEndpoint& e) {
  if (s.type == "files") return e.path;
  std::string out = MaskUrlPassword(e.url);
  if (!e.data_dir.empty()) out += ", restored into " + e.data_dir;
  if (e.port > 0) out += " (port " + std::to_string(e.port) + ")";
  return out;
}

nlohmann::json PlanJson(const DrPlan& plan) {
  nlohmann::json services = nlohmann::json::array();
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    for (const std::string& name : plan.groups[g]) {
      const DrService& s = *plan.FindService(name);
      nlohmann::json health = nlohmann::json::array();
      for (const HealthCheck& h : s.health) health.push_back(DescribeHealth(h));
      services.push_back({{"name", s.name},
                          {"type", s.type},
                          {"group", g + 1},
                          {"critical", s.critical},
                          {"rto_seconds", s.rto_seconds(plan.objectives)},
                          {"rpo_seconds", s.rpo_seconds(plan.objectives)},
                          {"primary", DescribeEndpoint(s, s.primary)},
                          {"dr", DescribeEndpoint(s, s.dr)},
                          {"health", health},
                          {"heartbeat", s.heartbeat}});
    }
  }
  return {{"plan", plan.path},
          {"valid", true},
          {"rto_seconds", plan.objectives.rto_seconds},
          {"rpo_seconds", plan.objectives.rpo_seconds},
          {"primary_repository", MaskUrlPassword(plan.primary.repository.url)},
          {"dr_repository", MaskUrlPassword(plan.dr.repository.url)},
          {"services", services},
          {"switch",
           {{"to_dr", plan.to_dr}, {"to_primary", plan.to_primary}, {"fence_primary", plan.fence_primary}}}};
}

int DrCheck(Context& ctx, const DrPlan& plan) {
  if (ctx.json()) {
    std::printf("%s\n",
                PlanJson(plan).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (ctx.quiet()) return kExitOk;
  std::printf("plan %s: RTO %s, RPO %s\n", plan.path.c_str(),
              PlanDuration(plan.objectives.rto_seconds).c_str(),
              PlanDuration(plan.objectives.rpo_seconds).c_str());
  for (const DrSite* site : {&plan.primary, &plan.dr}) {
    std::printf("site %s: repository %s%s\n", site->name.c_str(),
                MaskUrlPassword(site->repository.url).c_str(),
                site->repository_name.empty()
                    ? ""
                    : (" (" + site->repository_name + " in " + plan.config_path + ")").c_str());
  }
  std::printf("restore order:\n");
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    std::printf("  %zu.%s\n", g + 1, plan.groups[g].size() > 1 ? " in parallel:" : "");
    for (const std::string& name : plan.groups[g]) {
      const DrService& s = *plan.FindService(name);
      std::printf("     %s (%s%s, RTO %s, RPO %s): from %s to %s\n", s.name.c_str(), s.type.c_str(),
                  s.critical ? ", critical" : "", PlanDuration(s.rto_seconds(plan.objectives)).c_str(),
                  PlanDuration(s.rpo_seconds(plan.objectives)).c_str(),
                  DescribeEndpoint(s, s.primary).c_str(), DescribeEndpoint(s, s.dr).c_str());
      if (s.health.empty()) std::printf("       health: none given (the restore finishing is the test)\n");
      for (const HealthCheck& h : s.health) std::printf("       health: %s\n", DescribeHealth(h).c_str());
    }
  }
  std::printf("switch to DR: %s\n",
              plan.to_dr.empty() ? "none (switch traffic by hand)" : Joined(plan.to_dr).c_str());
  std::printf("switch back:  %s\n",
              plan.to_primary.empty() ? "none (switch traffic by hand)" : Joined(plan.to_primary).c_str());
  std::printf("fence primary: %s\n",
              plan.fence_primary.empty() ? "none" : Joined(plan.fence_primary).c_str());
  std::printf("the plan is valid\n");
  return kExitOk;
}

// --health: every service's checks at each site asked for, in restore
// order. 0 when all pass, 4 when one fails.
int DrHealth(Context& ctx, const DrPlan& plan, const std::string& which) {
  nlohmann::json out = nlohmann::json::array();
  int failed = 0;
  for (const auto& group : plan.groups) {
    for (const std::string& name : group) {
      const DrService& s = *plan.FindService(name);
      for (const char* site : {"primary", "dr"}) {
        if (which != "both" && which != site) continue;
        const DrEndpoint& at = std::string(site) == "primary" ? s.primary : s.dr;
        for (const HealthCheck& h : s.health) {
          HealthResult r = RunHealthCheck(h, s, at);
          failed += r.ok ? 0 : 1;
          out.push_back({{"service", s.name},
                         {"site", site},
                         {"check", DescribeHealth(h)},
                         {"ok", r.ok},
                         {"detail", r.detail},
                         {"seconds", r.seconds}});
          if (!ctx.json()) {
            std::printf("%s  %s at %s: %s: %s (%.2f s)\n", r.ok ? "PASS" : "FAIL", s.name.c_str(), site,
                        DescribeHealth(h).c_str(), r.detail.c_str(), r.seconds);
          }
        }
      }
    }
  }
  if (ctx.json()) {
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("%zu checks, %d failed\n", out.size(), failed);
  }
  return failed == 0 ? kExitOk : kExitDataError;
}

std::string Ago(Timestamp t, Timestamp now) {
  return FormatLocal(t) + " (" + PlanDuration(double(now.sec - t.sec)) + " ago)";
}

std::string DescribePoint(const SitePoint& p, Timestamp now) {
  if (!p.reachable) return "unreachable: " + p.error;
  if (!p.error.empty()) return p.error;
  if (!p.newest) return "no snapshot";
  if (p.point.empty() || p.point == "the snapshot's time")
    return "snapshot " + p.snapshot + " of " + Ago(*p.newest, now);
  return "snapshot " + p.snapshot + " and " + p.point + " of " + Ago(*p.newest, now);
}

// assess: the plan's option 1. 0 when the DR site could take over within
// every service's objectives, 4 when not.
int DrAssess(Context& ctx, const DrPlan& plan) {
  Assessment a = AssessPlan(plan, Clock::System()->Now());
  if (ctx.json()) {
    nlohmann::json services = nlohmann::json::array();
    auto opt = [](const std::optional<double>& v) {
      return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    auto when = [](const SitePoint& p) {
      return p.newest ? nlohmann::json(FormatRfc3339(*p.newest)) : nlohmann::json(nullptr);
    };
    for (const ServiceAssessment& s : a.services) {
      nlohmann::json health = nlohmann::json::array();
      for (const auto& [h, r] : s.health)
        health.push_back({{"check", DescribeHealth(h)}, {"ok", r.ok}, {"detail", r.detail}});
      services.push_back({{"service", s.service},
                          {"primary_healthy", s.primary_healthy},
                          {"health", health},
                          {"primary_point", DescribePoint(s.primary, a.now)},
                          {"dr_point", DescribePoint(s.dr, a.now)},
                          {"primary_newest", when(s.primary)},
                          {"dr_newest", when(s.dr)},
                          {"dr_newest_source", s.dr.point},
                          {"rpo_seconds", opt(s.rpo_seconds)},
                          {"rpo_objective_seconds", s.rpo_objective},
                          {"copy_lag_seconds", opt(s.copy_lag_seconds)},
                          {"rto_estimate_seconds", opt(s.rto_estimate)},
                          {"rto_objective_seconds", s.rto_objective},
                          {"within_objectives", s.within},
                          {"reason", s.reason}});
    }
    nlohmann::json j = {{"plan", plan.path},
                        {"time", FormatRfc3339(a.now)},
                        {"within_objectives", a.within()},
                        {"services", services}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return a.within() ? kExitOk : kExitDataError;
  }
  std::printf("DR assessment of %s at %s\n", plan.path.c_str(), FormatLocal(a.now).c_str());
  for (const ServiceAssessment& s : a.services) {
    std::string health;
    for (const auto& [h, r] : s.health) {
      if (!r.ok && health.empty()) health = " (" + h.kind + ": " + r.detail + ")";
    }
    std::printf("\n%s: primary %s%s\n", s.service.c_str(),
                s.health.empty()    ? "not checked (no health checks)"
                : s.primary_healthy ? "healthy"
                                    : "DOWN",
                health.c_str());
    std::printf("  primary repository: %s\n", DescribePoint(s.primary, a.now).c_str());
    std::printf("  DR repository:      %s\n", DescribePoint(s.dr, a.now).c_str());
    if (s.copy_lag_seconds)
      std::printf("  DR copy lag:        %s\n", PlanDuration(*s.copy_lag_seconds).c_str());
    if (s.rpo_seconds) {
      std::printf("  RPO if lost now:    %s (objective %s): %s\n", PlanDuration(*s.rpo_seconds).c_str(),
                  PlanDuration(s.rpo_objective).c_str(),
                  *s.rpo_seconds <= s.rpo_objective ? "met" : "MISSED");
    }
    if (s.rto_estimate) {
      std::printf("  RTO estimate:       %s, the last restore test (objective %s): %s\n",
                  PlanDuration(std::max(1.0, *s.rto_estimate)).c_str(), PlanDuration(s.rto_objective).c_str(),
                  *s.rto_estimate <= s.rto_objective ? "met" : "MISSED");
    } else {
      std::printf("  RTO estimate:       unknown: no restore test recorded (lifeboat verify)\n");
    }
  }
  std::string why;
  for (const ServiceAssessment& s : a.services) {
    if (!s.within && why.empty()) why = s.service + ": " + s.reason;
  }
  std::printf("\nthe DR site could take over within the objectives: %s\n",
              a.within() ? "yes" : ("no (" + why + ")").c_str());
  return a.within() ? kExitOk : kExitDataError;
}

std::string Clock(Timestamp t) { return FormatLocal(t).substr(11); }

std::string Met(bool met) { return met ? "met" : "MISSED"; }

// A measured time: tenths of a second below a minute, else as the plan
// writes durations.
std::string Measured(double seconds) {
  if (seconds < 60) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
    return buf;
  }
  return PlanDuration(seconds);
}

void PrintEvent(const DrEvent& e) {
  std::printf("%s  %-12s %s%s%s\n", Clock(e.time).c_str(), e.service.empty() ? "-" : e.service.c_str(),
              e.what.c_str(), e.detail.empty() ? "" : ": ", e.detail.c_str());
  std::fflush(stdout);
}

std::string Title(const DrRecord& r) {
  std::string t = r.kind;
  if (r.kind == "drill") t += " level " + std::to_string(r.level);
  if (!r.scenario.empty()) t += " (" + r.scenario + ")";
  return t;
}

// The plan's success criteria, line by line: what was measured against
// what the plan asks.
std::vector<std::pair<std::string, std::string>> Criteria(const DrRecord& r) {
  std::vector<std::pair<std::string, std::string>> out;
  bool all_rto = !r.services.empty(), all_rpo = !r.services.empty(), critical_up = true, perf = false,
       perf_ok = true;
  for (const DrServiceOutcome& s : r.services) {
    all_rto = all_rto && s.rto_met();
    all_rpo = all_rpo && s.rpo_met();
    if (s.critical && !s.recovered) critical_up = false;
    if (s.performance) {
      perf = true;
      perf_ok = perf_ok && *s.performance >= 0.8;
    }
  }
  auto rto = r.rto_seconds();
  out.push_back(
      {"Recovery within RTO", rto ? std::string(all_rto && *rto <= r.rto_objective ? "PASS" : "FAIL") + " (" +
                                        Measured(*rto) + " against " + PlanDuration(r.rto_objective) + ")"
                                  : std::string("FAIL (not every service came back)")});
  out.push_back({"Data loss under RPO", all_rpo ? "PASS" : "FAIL"});
  out.push_back({"All critical services operational", critical_up ? "PASS" : "FAIL"});
  out.push_back({"Performance in DR above 80% of normal",
                 perf                ? (perf_ok ? "PASS" : "FAIL")
                 : r.kind == "drill" ? "NOT MEASURED (no service has a probe in the plan)"
                                     : "NOT MEASURED (the primary is not timed in a " + r.kind +
                                           "; drills time each service's probe)"});
  // Data validation: the restore test of each point brought back.
  size_t passed = 0, recovered = 0;
  std::string failed_v, unknown_v;
  for (const DrServiceOutcome& s : r.services) {
    if (!s.recovered && !s.validated) continue;
    ++recovered;
    if (s.validated && *s.validated) {
      ++passed;
    } else if (s.validated) {
      failed_v += (failed_v.empty() ? "" : "; ") + s.service + ": " + s.validation;
    } else {
      unknown_v += (unknown_v.empty() ? "" : ", ") + s.service;
    }
  }
  std::string counted = std::to_string(passed) + "/" + std::to_string(recovered);
  out.push_back({"Data validation 100%",
                 !failed_v.empty() ? "FAIL (" + counted + " restore tests passed; " + failed_v + ")"
                 : recovered == 0  ? std::string("NOT MEASURED (no service came back)")
                 : unknown_v.empty()
                     ? "PASS (" + counted + " restored points passed their restore test)"
                     : "NOT MEASURED for " + unknown_v + " (no restore test of the point " +
                           "restored; dr drill --level 1 runs them); " + counted + " passed"});
  return out;
}

void PrintRecord(const DrRecord& r) {
  std::printf("%s %s on %s: %s\n", FormatLocal(r.declared).c_str(), Title(r).c_str(), r.host.c_str(),
              r.succeeded ? "succeeded" : ("FAILED: " + r.error).c_str());
  std::printf("  plan %s, objectives RTO %s, RPO %s; traffic switched: %s\n", r.plan.c_str(),
              PlanDuration(r.rto_objective).c_str(), PlanDuration(r.rpo_objective).c_str(),
              r.switched ? "yes" : "no");
  std::printf("  timeline:\n");
  for (const DrEvent& e : r.timeline) {
    std::printf("    %s  %-12s %s%s%s\n", Clock(e.time).c_str(), e.service.empty() ? "-" : e.service.c_str(),
                e.what.c_str(), e.detail.empty() ? "" : ": ", e.detail.c_str());
  }
  std::printf("  services:\n");
  for (const DrServiceOutcome& s : r.services) {
    std::printf("    %s (%s%s): %s\n", s.service.c_str(), s.type.c_str(), s.critical ? ", critical" : "",
                s.recovered ? "recovered"
                            : ("not recovered: " + (s.error.empty() ? "not reached" : s.error)).c_str());
    if (s.rto_seconds) {
      std::printf("      RTO %s, objective %s: %s\n", Measured(*s.rto_seconds).c_str(),
                  PlanDuration(s.rto_objective).c_str(), Met(s.rto_met()).c_str());
    }
    if (s.rpo_seconds) {
      std::printf("      RPO %s (%s), objective %s: %s\n", Measured(*s.rpo_seconds).c_str(),
                  s.rpo_how.c_str(), PlanDuration(s.rpo_objective).c_str(), Met(s.rpo_met()).c_str());
    }
    if (!s.note.empty()) std::printf("      note: %s\n", s.note.c_str());
    if (!s.validation.empty()) std::printf("      data validation: %s\n", s.validation.c_str());
    if (!s.snapshot.empty()) {
      std::printf("      restored snapshot %s, data as of %s\n", s.snapshot.substr(0, 8).c_str(),
                  FormatLocal(s.point).c_str());
    }
  }
  if (auto rto = r.rto_seconds()) {
    std::printf("  RTO of the plan: %s, objective %s: %s\n", Measured(*rto).c_str(),
                PlanDuration(r.rto_objective).c_str(), Met(*rto <= r.rto_objective).c_str());
  }
  std::printf("  success criteria:\n");
  for (const auto& [what, verdict] : Criteria(r))
    std::printf("    %-40s %s\n", what.c_str(), verdict.c_str());
}

// Each step of a failover, failback or drill as it happens: a JSON line,
// or a line for a person (none with --quiet).
std::function<void(const DrEvent&)> EventPrinter(const Context& ctx) {
  const bool json = ctx.json(), quiet = ctx.quiet();
  return [json, quiet](const DrEvent& e) {
    if (json) {
      nlohmann::json j{{"message_type", "event"}, {"time", FormatRfc3339(e.time)}, {"what", e.what}};
      if (!e.service.empty()) j["service"] = e.service;
      if (!e.detail.empty()) j["detail"] = e.detail;
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
    } else if (!quiet) {
      PrintEvent(e);
    }
  };
}

// The record at the end (the summary line with --json), and a warning
// when it could not be saved.
void ShowRecord(const Context& ctx, const DrRecord& rec, const std::string& save_error) {
  if (!save_error.empty()) {
    std::fprintf(stderr, "warning: the %s's record: %s\n", rec.kind.c_str(), save_error.c_str());
  }
  if (ctx.json()) {
    nlohmann::json j = nlohmann::json::parse(DrRecordJson(rec));
    j["message_type"] = "summary";
    std::printf("%s\n", j.dump().c_str());
  } else if (!ctx.quiet()) {
    std::printf("\n");
    PrintRecord(rec);
  }
}

// failover and failback: asks (or wants --yes), runs, prints each step as
// it happens and the record at the end.
int DrSwitchover(Context& ctx, const DrPlan& plan, const std::string& action) {
  const Args& a = ctx.args();
  auto groups = ChosenGroups(plan, a.All("service"));
  if (!groups.ok()) return Fail(ctx, groups.status());
  std::string names;
  for (const auto& g : *groups) {
    for (const DrService* s : g) names += (names.empty() ? "" : ", ") + s->name;
  }
  const bool failover = action == "failover";
  const std::string what = failover ? "restores " + names + " at the DR site and switches traffic there"
                                    : "backs up " + names +
                                          " at the DR site, restores them at the primary (moving "
                                          "what it holds aside) and switches traffic back";
  if (!a.Has("yes")) {
    if (!isatty(STDIN_FILENO)) {
      return Fail(
          ctx, InvalidArgument("dr " + action + " " + what + ": give --yes (there is no terminal to ask)"));
    }
    std::fprintf(stderr, "dr %s %s. Type yes to go on: ", action.c_str(), what.c_str());
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "yes")
      return Fail(ctx, InvalidArgument("dr " + action + ": not confirmed; nothing was done"));
  }
  const std::string exe = SelfExe();
  auto on_event = EventPrinter(ctx);
  std::string save_error;
  DrRecord rec;
  if (failover) {
    FailoverOptions o;
    o.services = a.All("service");
    o.no_fence = a.Has("no-fence");
    o.lifeboat_exe = exe;
    o.on_event = on_event;
    rec = RunFailover(plan, o, &save_error);
  } else {
    FailbackOptions o;
    o.services = a.All("service");
    o.lifeboat_exe = exe;
    o.on_event = on_event;
    rec = RunFailback(plan, o, &save_error);
  }
  ShowRecord(ctx, rec, save_error);
  if (!rec.succeeded) return Fail(ctx, Status(Code::kIoError, "dr " + action + " stopped: " + rec.error));
  return kExitOk;
}

// drill: the plan's option 4. Exit 0 when every service came back in
// scratch, 4 when one did not, 2 for a level or scenario this build lacks.
int DrDrill(Context& ctx, const DrPlan& plan) {
  const Args& a = ctx.args();
  if (!a.Has("level")) return Fail(ctx, InvalidArgument("dr drill needs --level 1, 2, 3 or 4"));
  DrillOptions o;
  const std::string level = a.Get("level");
  o.level = level.size() == 1 && level[0] >= '1' && level[0] <= '4' ? level[0] - '0' : 0;
  if (o.level == 0) return Fail(ctx, InvalidArgument("--level " + level + ": want 1, 2, 3 or 4"));
  o.scenario = a.Get("scenario");
  const auto& known = DrillScenarios();
  if (o.level == 4 && std::find(known.begin(), known.end(), o.scenario) == known.end()) {
    std::string list;
    for (const std::string& sc : known) list += (list.empty() ? "" : ", ") + sc;
    return Fail(ctx, InvalidArgument("a level 4 drill needs --scenario: one of " + list +
                                     (o.scenario.empty() ? "" : " (not \"" + o.scenario + "\")")));
  }
  if (o.level != 4 && !o.scenario.empty())
    return Fail(ctx, InvalidArgument("--scenario is for level 4 drills"));
  o.services = a.All("service");
  if (o.level == 2 && o.services.size() > 1) {
    return Fail(ctx, InvalidArgument("a level 2 drill brings back one service: give one --service"));
  }
  if (auto g = ChosenGroups(plan, o.services); !g.ok()) return Fail(ctx, g.status());
  o.lifeboat_exe = SelfExe();
  o.on_event = EventPrinter(ctx);
  // An interrupt stops the scratch servers and removes the scratch before
  // the process ends (a second one ends it at once).
  SetSignalListener([](int sig) {
    static std::atomic<bool> cleaning{false};
    if (cleaning.exchange(true)) _exit(128 + sig);
    std::fprintf(stderr, "lifeboat: %s received, removing the drill's scratch\n", strsignal(sig));
    StopAllChildren(SIGTERM, 30);  // a restore into scratch stops writing there first
    int n = CleanUpDrillScratch();
    int locks = ReleaseAllLocks();
    std::fprintf(stderr, "lifeboat: %d scratch place%s removed, %d lock%s released\n", n, n == 1 ? "" : "s",
                 locks, locks == 1 ? "" : "s");
    _exit(128 + sig);
  });
  std::string save_error;
  DrRecord rec = RunDrill(plan, o, &save_error);
  SetSignalListener(nullptr);
  ShowRecord(ctx, rec, save_error);
  if (!rec.succeeded) {
    Fail(ctx, Status(Code::kIoError, "dr drill: " + rec.error));
    return kExitDataError;
  }
  return kExitOk;
}

int DrHeartbeat(Context& ctx, const DrPlan& plan) {
  const Args& a = ctx.args();
  std::vector<const DrService*> services;
  auto groups = ChosenGroups(plan, a.All("service"));
  if (!groups.ok()) return Fail(ctx, groups.status());
  for (const auto& g : *groups) {
    for (const DrService* s : g) {
      if (s->heartbeat || !a.All("service").empty()) services.push_back(s);
    }
  }
  if (services.empty()) {
    return Fail(ctx,
                InvalidArgument("no service of " + plan.path + " has heartbeat: true (or give --service)"));
  }
  double every = plan.heartbeat_every_seconds;
  if (a.Has("every")) {
    std::optional<double> d = ParseDuration(a.Get("every"));
    if (!d || *d <= 0) return Fail(ctx, InvalidArgument("--every " + a.Get("every") + ": not a duration"));
    every = *d;
  }
  long count = a.Has("count") ? std::atol(a.Get("count").c_str()) : 0;  // 0: until stopped
  uint64_t written = 0, failed = 0;
  for (long i = 0; count == 0 || i < count; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::duration<double>(every));
    for (const DrService* s : services) {
      Result<int64_t> beat = Beat(*s, s->primary, plan.state_dir, std::min(every, 10.0));
      if (!beat.ok()) {
        ++failed;
        std::fprintf(stderr, "warning: %s\n", beat.status().message().c_str());
        continue;
      }
      const int64_t ms = *beat;
      ++written;
      if (ctx.json()) {
        std::printf("%s\n",
                    nlohmann::json{{"message_type", "heartbeat"}, {"service", s->name}, {"beat_ms", ms}}
                        .dump()
                        .c_str());
      } else if (a.Has("verbose")) {
        std::printf("%s heartbeat %lld\n", s->name.c_str(), static_cast<long long>(ms));
      }
      std::fflush(stdout);
    }
  }
  if (written == 0 && failed > 0) return Fail(ctx, IoError("no heartbeat could be written"));
  return kExitOk;
}

// The records of both sites' repositories (the same record saved in
// both is shown once), oldest first.
std::vector<DrRecord> AllRecords(const DrPlan& plan, std::vector<std::string>* notes) {
  std::map<std::string, DrRecord> by_key;
  for (const DrSite* site : {&plan.dr, &plan.primary}) {
    auto repo = OpenRepository(site->repository);
    if (!repo.ok()) {
      notes->push_back("the " + site->name + " repository: " + repo.status().message());
      continue;
    }
    auto records = LoadDrRecords(**repo, nullptr);
    if (!records.ok()) {
      notes->push_back("the " + site->name + " repository: " + records.status().message());
      continue;
    }
    for (DrRecord& r : *records) {
      by_key.emplace(FormatRfc3339(r.declared) + " " + r.kind + " " + r.host, std::move(r));
    }
  }
  std::vector<DrRecord> out;
  for (auto& [k, r] : by_key) out.push_back(std::move(r));
  return out;
}

std::string Html(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string RecordsHtml(const std::vector<DrRecord>& records, const std::vector<DrRecord>& history) {
  std::string h =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>DR "
      "report</title>\n<style>body{font-family:"
      "sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0 "
      "1.5em}td,th{border:1px "
      "solid #ccc;padding:.3em .6em;text-align:left}.met{color:#070}.missed{color:#b00;font-weight:bold}"
      "</style></head><body>\n<h1>Disaster recovery report</h1>\n";
  for (const DrRecord& r : records) {
    h += "<h2>" + Html(FormatLocal(r.declared) + " " + Title(r)) + ": " +
         (r.succeeded ? "succeeded" : "<span class=\"missed\">FAILED</span> " + Html(r.error)) + "</h2>\n";
    h += "<p>Plan " + Html(r.plan) + " on " + Html(r.host) + "; objectives RTO " +
         PlanDuration(r.rto_objective) + ", RPO " + PlanDuration(r.rpo_objective) +
         "; traffic switched: " + (r.switched ? "yes" : "no") + "</p>\n";
    h += "<table><tr><th>Service</th><th>Recovered</th><th>RTO</th><th>RTO objective</th><th>RPO</th><th>RPO "
         "objective</th><th>RPO measured by</th><th>Data validation</th></tr>\n";
    for (const DrServiceOutcome& s : r.services) {
      auto cell = [](const std::optional<double>& v, bool met) {
        if (!v) return std::string("<td>-</td>");
        return "<td class=\"" + std::string(met ? "met" : "missed") + "\">" + Measured(*v) + "</td>";
      };
      h += "<tr><td>" + Html(s.service) + (s.critical ? " (critical)" : "") + "</td><td>" +
           (s.recovered ? "yes" : "<span class=\"missed\">no</span> " + Html(s.error)) + "</td>" +
           cell(s.rto_seconds, s.rto_met()) + "<td>" + PlanDuration(s.rto_objective) + "</td>" +
           cell(s.rpo_seconds, s.rpo_met()) + "<td>" + PlanDuration(s.rpo_objective) + "</td><td>" +
           Html(s.rpo_how) + "</td><td" +
           (s.validated ? (*s.validated ? " class=\"met\">" : " class=\"missed\">") : std::string(">")) +
           Html(s.validation.empty() ? "-" : s.validation) + "</td></tr>\n";
    }
    h += "</table>\n<table><tr><th>Success criterion</th><th>Result</th></tr>\n";
    for (const auto& [what, verdict] : Criteria(r))
      h += "<tr><td>" + Html(what) + "</td><td>" + Html(verdict) + "</td></tr>\n";
    h += "</table>\n<table><tr><th>Time</th><th>Service</th><th>Step</th><th>Detail</th></tr>\n";
    for (const DrEvent& e : r.timeline) {
      h += "<tr><td>" + Html(Clock(e.time)) + "</td><td>" + Html(e.service) + "</td><td>" + Html(e.what) +
           "</td><td>" + Html(e.detail) + "</td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "<h2>History</h2>\n<table><tr><th>Declared</th><th>What</th><th>Result</th><th>RTO</th></tr>\n";
  for (const DrRecord& r : history) {
    auto rto = r.rto_seconds();
    h += "<tr><td>" + Html(FormatLocal(r.declared)) + "</td><td>" + Html(Title(r)) + "</td><td>" +
         (r.succeeded ? "succeeded" : "FAILED") + "</td><td>" + (rto ? Measured(*rto) : "-") + "</td></tr>\n";
  }
  return h + "</table>\n</body></html>\n";
}

int DrReport(Context& ctx, const DrPlan& plan) {
  const Args& a = ctx.args();
  std::string format = ctx.json() ? "json" : a.Get("format", "text");
  if (format != "text" && format != "json" && format != "html") {
    return Fail(ctx, InvalidArgument("--format " + format + ": not text, json or html"));
  }
  long last = a.Has("last") ? std::atol(a.Get("last").c_str()) : 1;
  if (last <= 0) return Fail(ctx, InvalidArgument("--last " + a.Get("last") + ": want a number above zero"));
  std::vector<std::string> notes;
  std::vector<DrRecord> all = AllRecords(plan, &notes);
  for (const std::string& n : notes) std::fprintf(stderr, "warning: %s\n", n.c_str());
  if (all.empty() && notes.size() == 2) return Fail(ctx, IoError("neither site's repository could be read"));
  std::vector<DrRecord> shown(all.end() - std::min<long>(last, static_cast<long>(all.size())), all.end());
  std::string text;
  if (format == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const DrRecord& r : shown) j.push_back(nlohmann::json::parse(DrRecordJson(r)));
    text = j.dump(2) + "\n";
  } else if (format == "html") {
    text = RecordsHtml(shown, all);
  }
  if (format != "text") {
    if (a.Has("output")) {
      Status w = WriteWhole(a.Get("output"), text);
      if (!w.ok()) return Fail(ctx, w);
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
    return kExitOk;
  }
  std::printf("DR report for %s: %zu record%s of failovers, failbacks and drills\n\n", plan.path.c_str(),
              all.size(), all.size() == 1 ? "" : "s");
  for (const DrRecord& r : shown) {
    PrintRecord(r);
    std::printf("\n");
  }
  std::printf("history:\n");
  for (const DrRecord& r : all) {
    auto rto = r.rto_seconds();
    std::printf("  %s  %-30s %-10s RTO %s\n", FormatLocal(r.declared).c_str(), Title(r).c_str(),
                r.succeeded ? "succeeded" : "FAILED", rto ? Measured(*rto).c_str() : "-");
  }
  return kExitOk;
}

int RunDr(Context& ctx) {
  const Args& a = ctx.args();
  const auto& pos = a.positional();
  if (pos.size() != 1) {
    return Fail(ctx,
                InvalidArgument(
                    "usage: lifeboat dr check|assess|failover|failback|drill|heartbeat|report --plan FILE"));
  }
  const std::string& action = pos[0];
  if (action != "check" && action != "assess" && action != "failover" && action != "failback" &&
      action != "drill" && action != "heartbeat" && action != "report") {
    return Fail(ctx,
                InvalidArgument("dr " + action +
                                ": unknown (check, assess, failover, failback, drill, heartbeat, report)"));
  }
  if (!a.Has("plan")) return Fail(ctx, InvalidArgument("dr " + action + " needs --plan FILE"));
  std::string config = a.Get("config");
  if (config.empty()) {
    if (const char* env = std::getenv("LIFEBOAT_CONFIG")) config = env;
  }
  auto plan = LoadDrPlan(a.Get("plan"), config);
  if (!plan.ok()) return Fail(ctx, plan.status());
  if (action == "assess") return DrAssess(ctx, *plan);
  if (action == "failover" || action == "failback") return DrSwitchover(ctx, *plan, action);
  if (action == "heartbeat") return DrHeartbeat(ctx, *plan);
  if (action == "drill") return DrDrill(ctx, *plan);
  if (action == "report") return DrReport(ctx, *plan);
  if (a.Has("health")) {
    const std::string site = a.Get("site", "both");
    if (site != "primary" && site != "dr" && site != "both") {
      return Fail(ctx, InvalidArgument("--site " + site + ": not primary, dr or both"));
    }
    return DrHealth(ctx, *plan, site);
  }
  return DrCheck(ctx, *plan);
}

}  // namespace

Command DrCommand() {
  return {
      "dr",
      "dr check|assess|failover|failback|drill|heartbeat|report --plan FILE [flags]",
      "disaster recovery: check the plan, assess, fail over, fail back, drill, write heartbeats, report",
      {{"plan", 0, true, "the DR plan (docs/dr.md)", "FILE"},
       {"service", 0, true, "failover, failback, drill, heartbeat: only this service (repeatable)", "NAME"},
       {"yes", 0, false, "failover, failback: go on without asking (required without a terminal)"},
       {"no-fence", 0, false, "failover: the primary is fenced already; do not run switch.fence_primary"},
       {"level", 0, true, "drill: 1 (restore tests), 2 (one service), 3 (the plan), 4 (a disaster)", "N"},
       {"scenario", 0, true, "drill --level 4: repository-unreachable, damaged-pack or copy-lag", "NAME"},
       {"every", 0, true, "heartbeat: between beats (default the plan's heartbeat_every, 5s)", "DURATION"},
       {"count", 0, true, "heartbeat: beats to write, then exit (default: until stopped)", "N"},
       {"format", 0, true, "report: text (default), json or html", "FORMAT"},
       {"last", 0, true, "report: show the newest N records in full (default 1)", "N"},
       {"output", 0, true, "report: write the json or html there instead of stdout", "FILE"},
       {"health", 0, false, "run every service's health checks (at --site) instead of printing the plan"},
       {"site", 0, true, "with --health: primary, dr or both (default)", "SITE"},
       {"config", 0, true, "the serve config whose repository names the plan uses (or the plan's config:)",
        "FILE"}},
      RunDr};
}

}  // namespace lifeboat::cli
