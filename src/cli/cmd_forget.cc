#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "cli/commands.h"
#include "engine/forget.h"
#include "engine/prune.h"
#include "engine/select.h"
#include "env/env.h"

namespace lifeboat::cli {

nlohmann::json SnapshotJson(const Snapshot& s);

namespace {

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

Result<int> CountFlag(const Args& args, const std::string& name) {
  if (!args.Has(name)) return 0;
  std::string v = args.Get(name);
  if (v == "unlimited" || v == "-1") return -1;
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 0 || n > 1000000) {
    return InvalidArgument("--" + name + ": want a count or \"unlimited\", not \"" + v + "\"");
  }
  return static_cast<int>(n);
}

Result<RetentionPolicy> PolicyFromFlags(const Args& args) {
  RetentionPolicy p;
  LB_ASSIGN_OR_RETURN(p.last, CountFlag(args, "keep-last"));
  LB_ASSIGN_OR_RETURN(p.hourly, CountFlag(args, "keep-hourly"));
  LB_ASSIGN_OR_RETURN(p.daily, CountFlag(args, "keep-daily"));
  LB_ASSIGN_OR_RETURN(p.weekly, CountFlag(args, "keep-weekly"));
  LB_ASSIGN_OR_RETURN(p.monthly, CountFlag(args, "keep-monthly"));
  LB_ASSIGN_OR_RETURN(p.yearly, CountFlag(args, "keep-yearly"));
  struct {
    const char* flag;
    CalendarDuration* field;
  } withins[] = {{"keep-within", &p.within},
                 {"keep-within-hourly", &p.within_hourly},
                 {"keep-within-daily", &p.within_daily},
                 {"keep-within-weekly", &p.within_weekly},
                 {"keep-within-monthly", &p.within_monthly},
                 {"keep-within-yearly", &p.within_yearly}};
  for (auto& w : withins) {
    if (!args.Has(w.flag)) continue;
    auto d = ParseCalendarDuration(args.Get(w.flag));
    if (!d.ok()) return InvalidArgument(std::string("--") + w.flag + ": " + d.status().message());
    *w.field = *d;
  }
  for (const std::string& t : args.All("keep-tag")) {
    std::vector<std::string> tags = SplitList(t);
    if (!tags.empty()) p.keep_tags.push_back(tags);
  }
  return p;
}

void PrintTable(const char* what, const std::vector<RetentionDecision>& list, bool with_reasons) {
  std::printf("%s %zu snapshot%s:\n", what, list.size(), list.size() == 1 ? "" : "s");
  if (list.empty()) return;
  std::printf("%-8s  %-19s  %-12s  %-16s  %s\n", "ID", "Time", "Host", "Tags", with_reasons ? "Reasons" : "");
  for (const auto& d : list) {
    std::printf("%-8s  %-19s  %-12s  %-16s  %s\n", d.snapshot.id.Short().c_str(),
                FormatLocal(d.snapshot.time).c_str(), d.snapshot.hostname.c_str(),
                Join(d.snapshot.tags, ",").c_str(), with_reasons ? Join(d.reasons, ", ").c_str() : "");
  }
}

int RunForget(Context& ctx) {
  const Args& args = ctx.args();
  PruneOptions prune_opts;
  if (args.Has("prune")) {
    auto o = PruneOptionsFromFlags(args);
    if (!o.ok()) return Fail(ctx, o.status());
    prune_opts = *o;
  }
  auto policy = PolicyFromFlags(args);
  if (!policy.ok()) return Fail(ctx, policy.status());
  bool dry_run = args.Has("dry-run");
  std::vector<NamedPolicy> named;
  if (args.Has("policy-file")) {
    if (!policy->empty()) {
      return Fail(ctx, InvalidArgument("forget: give either --policy-file or --keep-* flags, not both"));
    }
    auto text = ReadWholeFile(args.Get("policy-file"));
    if (!text.ok()) return Fail(ctx, InvalidArgument("--policy-file: " + text.status().message()));
    auto parsed = ParsePolicyFile(*text);
    if (!parsed.ok()) return Fail(ctx, parsed.status());
    named = std::move(*parsed);
  }
  const std::vector<std::string>& ids = args.positional();
  if (policy->empty() && named.empty() && ids.empty()) {
    return Fail(ctx, InvalidArgument("forget: give a policy (--keep-last, --keep-daily, --keep-within, ...) or "
                                     "snapshot IDs; refusing to guess"));
  }
  auto repo = ctx.Open(dry_run ? Context::LockMode::kShared : Context::LockMode::kExclusive);
  if (!repo.ok()) return Fail(ctx, repo.status());

  // Explicit IDs: remove exactly those.
  std::vector<RetentionDecision> removals;
  nlohmann::json out = nlohmann::json::array();
  if (!ids.empty()) {
    for (const std::string& name : ids) {
      auto snap = FindSnapshot(**repo, name, SnapshotFilter{});
      if (!snap.ok() && snap.status().code() == Code::kCorrupt) {
        // A damaged snapshot file can still be removed by its ID (the way to
        // repair a repository where one snapshot cannot be read).
        auto id = (*repo)->ResolvePrefix(FileType::kSnapshot, name);
        if (!id.ok()) return Fail(ctx, id.status());
        Snapshot damaged;
        damaged.id = *id;
        std::fprintf(stderr, "warning: snapshot %s is damaged (%s); removing it\n", id->Short().c_str(),
                     snap.status().message().c_str());
        removals.push_back({damaged, false, {"damaged"}});
        continue;
      }
      if (!snap.ok()) return Fail(ctx, snap.status());
      if (Status held = CheckRemovable(*snap); !held.ok()) return Fail(ctx, held);
      removals.push_back({*snap, false, {"named on the command line"}});
    }
  } else {
    auto all = (*repo)->LoadAllSnapshots();
    if (!all.ok()) return Fail(ctx, all.status());
    std::vector<Snapshot> chosen = FilterSnapshots(std::move(*all), ctx.Filter());
    // One run per policy: the flags' policy over everything, or each named
    // policy of --policy-file over the snapshots with its tag (engine/forget).
    std::vector<NamedPolicy> runs = named;
    if (runs.empty()) runs.push_back(NamedPolicy{"", "", *policy});
    auto plan = PlanForget(chosen, runs, args.Get("group-by", "host,paths"));
    if (!plan.ok()) return Fail(ctx, plan.status());
    for (const ForgetGroup& g : plan->groups) {
      if (ctx.json()) {
        nlohmann::json j{{"host", g.key.host}, {"paths", g.key.paths}, {"tags", g.key.tags}};
        if (!g.policy.empty()) j["policy"] = g.policy;
        j["keep"] = nlohmann::json::array();
        j["remove"] = nlohmann::json::array();
        j["reasons"] = nlohmann::json::array();
        for (const auto& d : g.keep) {
          j["keep"].push_back(SnapshotJson(d.snapshot));
          j["reasons"].push_back({{"snapshot", SnapshotJson(d.snapshot)}, {"matches", d.reasons}});
        }
        for (const auto& d : g.remove) j["remove"].push_back(SnapshotJson(d.snapshot));
        out.push_back(j);
      } else if (!ctx.quiet()) {
        std::string title = g.policy.empty() ? "" : "policy " + g.policy + " (tag " + g.tag + "), ";
        std::string tags = g.key.tags.empty() ? "" : ", tags [" + Join(g.key.tags, ", ") + "]";
        std::printf("%ssnapshots for host \"%s\", paths [%s]%s:\n%s\n", title.c_str(), g.key.host.c_str(),
                    Join(g.key.paths, ", ").c_str(), tags.c_str(), g.rules.ToString().c_str());
        PrintTable("keep", g.keep, true);
        PrintTable(dry_run ? "would remove" : "remove", g.remove, false);
        std::printf("\n");
      }
    }
    removals = std::move(plan->removals);
    if (!named.empty() && !ctx.quiet() && !ctx.json() && plan->untouched > 0) {
      std::printf("%zu snapshot(s) carry no policy's tag and stay\n", plan->untouched);
    }
  }
  int removed = 0;
  if (!dry_run) {
    for (const auto& d : removals) {
      Status s = (*repo)->storage().Remove(FileType::kSnapshot, d.snapshot.id.Hex());
      if (!s.ok()) return Fail(ctx, s.WithContext("remove snapshot " + d.snapshot.id.Short()));
      ++removed;
    }
  }
  if (ctx.json()) {
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (!ctx.quiet()) {
    if (dry_run) {
      std::printf("dry run: would remove %zu snapshot(s); nothing was changed\n", removals.size());
    } else if (args.Has("prune")) {
      std::printf("removed %d snapshot(s); pruning\n", removed);
    } else {
      std::printf("removed %d snapshot(s); their data stays in the repository until it is pruned\n", removed);
    }
  }
  if (args.Has("prune") && !dry_run) return RunPruneWith(ctx, **repo, prune_opts);
  return kExitOk;
}

}  // namespace

Command ForgetCommand() {
  std::vector<FlagSpec> flags = {
      {"keep-last", 'l', true, "keep the last N snapshots", "N"},
      {"keep-hourly", 'H', true, "keep the last N hourly snapshots", "N"},
      {"keep-daily", 'd', true, "keep the last N daily snapshots", "N"},
      {"keep-weekly", 'w', true, "keep the last N weekly snapshots", "N"},
      {"keep-monthly", 'm', true, "keep the last N monthly snapshots", "N"},
      {"keep-yearly", 'y', true, "keep the last N yearly snapshots", "N"},
      {"keep-within", 0, true, "keep snapshots newer than DURATION before the newest (e.g. 30d, 1y6m)", "DURATION"},
      {"keep-within-hourly", 0, true, "keep hourly snapshots within DURATION", "DURATION"},
      {"keep-within-daily", 0, true, "keep daily snapshots within DURATION", "DURATION"},
      {"keep-within-weekly", 0, true, "keep weekly snapshots within DURATION", "DURATION"},
      {"keep-within-monthly", 0, true, "keep monthly snapshots within DURATION", "DURATION"},
      {"keep-within-yearly", 0, true, "keep yearly snapshots within DURATION", "DURATION"},
      {"keep-tag", 0, true, "keep snapshots with these tags (a,b = both; repeat = either)", "TAGS"},
      {"policy-file", 0, true, "apply the named policies of FILE, each to the snapshots with its tag (docs/retention.md)",
       "FILE"},
      {"group-by", 'g', true, "group snapshots by host, paths, tags (default host,paths; \"\" = no grouping)",
       "FIELDS"},
      {"dry-run", 'n', false, "only show what would be removed, and why each kept snapshot stays"},
      {"prune", 0, false, "then prune: remove the data no snapshot needs any more"},
      {"host", 0, true, "only snapshots of this host (repeatable)", "HOST"},
      {"tag", 0, true, "only snapshots with these tags (a,b = both; repeat = either)", "TAGS"},
      {"path", 0, true, "only snapshots that include this path (repeatable)", "PATH"},
  };
  AddPruneFlags(&flags);
  return {"forget", "forget [policy flags] [SNAPSHOT...]",
          "remove snapshots by a retention policy (restic's rules) or by ID; snapshots tagged \"hold\" stay",
          flags, RunForget};
}

}  // namespace lifeboat::cli
