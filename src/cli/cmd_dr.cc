// dr: the disaster-recovery plan (dr/plan.h, docs/dr.md). `dr check
// --plan FILE` reads the plan, checks it and prints what it would do: the
// objectives, the two sites' repositories, the services in restore order
// with their objectives and health checks, and the switch commands.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "dr/assess.h"
#include "dr/health.h"
#include "dr/plan.h"
#include "env/clock.h"
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
  return "snapshot " + p.snapshot + " of " + Ago(*p.newest, now);
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
    for (const ServiceAssessment& s : a.services) {
      nlohmann::json health = nlohmann::json::array();
      for (const auto& [h, r] : s.health)
        health.push_back({{"check", DescribeHealth(h)}, {"ok", r.ok}, {"detail", r.detail}});
      services.push_back({{"service", s.service},
                          {"primary_healthy", s.primary_healthy},
                          {"health", health},
                          {"primary_point", DescribePoint(s.primary, a.now)},
                          {"dr_point", DescribePoint(s.dr, a.now)},
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

int RunDr(Context& ctx) {
  const Args& a = ctx.args();
  const auto& pos = a.positional();
  if (pos.size() != 1) return Fail(ctx, InvalidArgument("usage: lifeboat dr check|assess --plan FILE"));
  const std::string& action = pos[0];
  for (const char* later : {"failover", "failback", "drill", "report"}) {
    if (action == later) {
      return Fail(ctx,
                  InvalidArgument("dr " + action + " is not in this build yet (dr check is; docs/dr.md)"));
    }
  }
  if (action != "check" && action != "assess") {
    return Fail(ctx, InvalidArgument("dr " + action + ": unknown (check, assess)"));
  }
  if (!a.Has("plan")) return Fail(ctx, InvalidArgument("dr " + action + " needs --plan FILE"));
  std::string config = a.Get("config");
  if (config.empty()) {
    if (const char* env = std::getenv("LIFEBOAT_CONFIG")) config = env;
  }
  auto plan = LoadDrPlan(a.Get("plan"), config);
  if (!plan.ok()) return Fail(ctx, plan.status());
  if (action == "assess") return DrAssess(ctx, *plan);
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
  return {"dr",
          "dr check|assess --plan FILE [--config FILE] [--health [--site primary|dr|both]]",
          "disaster recovery: check the DR plan (assess, failover, failback, drills and reports follow)",
          {{"plan", 0, true, "the DR plan (docs/dr.md)", "FILE"},
           {"health", 0, false, "run every service's health checks (at --site) instead of printing the plan"},
           {"site", 0, true, "with --health: primary, dr or both (default)", "SITE"},
           {"config", 0, true,
            "the serve config whose repository names the plan uses (or the plan's config:)", "FILE"}},
          RunDr};
}

}  // namespace lifeboat::cli
