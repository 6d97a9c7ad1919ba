#include "engine/forget.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <yaml-cpp/yaml.h>

#include "base/bytes.h"

namespace lifeboat {
namespace {

struct tm LocalTm(int64_t sec) {
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  localtime_r(&t, &tm);
  return tm;
}

// Buckets as restic numbers them (local time).
int Hourly(const Snapshot& s) {
  struct tm t = LocalTm(s.time.sec);
  return (t.tm_year + 1900) * 1000000 + (t.tm_mon + 1) * 10000 + t.tm_mday * 100 + t.tm_hour;
}
int Daily(const Snapshot& s) {
  struct tm t = LocalTm(s.time.sec);
  return (t.tm_year + 1900) * 10000 + (t.tm_mon + 1) * 100 + t.tm_mday;
}
int Weekly(const Snapshot& s) {  // ISO 8601 week-numbering year and week
  struct tm t = LocalTm(s.time.sec);
  char buf[16];
  std::strftime(buf, sizeof buf, "%G%V", &t);
  return std::atoi(buf);
}
int Monthly(const Snapshot& s) {
  struct tm t = LocalTm(s.time.sec);
  return (t.tm_year + 1900) * 100 + (t.tm_mon + 1);
}
int Yearly(const Snapshot& s) { return LocalTm(s.time.sec).tm_year + 1900; }

// The newest time minus a calendar duration (like Go's AddDate then Add).
Timestamp Minus(Timestamp t, const CalendarDuration& d) {
  struct tm tm = LocalTm(t.sec);
  tm.tm_year -= d.years;
  tm.tm_mon -= d.months;
  tm.tm_mday -= d.days;
  tm.tm_isdst = -1;
  time_t back = mktime(&tm);
  return Timestamp{static_cast<int64_t>(back) - int64_t{d.hours} * 3600, t.nsec};
}

bool HasAllTags(const Snapshot& s, const std::vector<std::string>& tags) {
  for (const std::string& t : tags) {
    if (!s.HasTag(t)) return false;
  }
  return true;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

std::string CalendarDuration::ToString() const {
  std::string out;
  if (years) out += std::to_string(years) + "y";
  if (months) out += std::to_string(months) + "m";
  if (days) out += std::to_string(days) + "d";
  if (hours) out += std::to_string(hours) + "h";
  return out.empty() ? "0h" : out;
}

Result<CalendarDuration> ParseCalendarDuration(std::string_view s) {
  CalendarDuration d;
  std::string num;
  if (s.empty()) return InvalidArgument("empty duration (want e.g. 30d, 1y6m, 36h)");
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      num += c;
      continue;
    }
    if (num.empty()) return InvalidArgument("invalid duration \"" + std::string(s) + "\" (want e.g. 30d, 1y6m, 36h)");
    int n = std::atoi(num.c_str());
    num.clear();
    switch (c) {
      case 'y': d.years += n; break;
      case 'm': d.months += n; break;
      case 'd': d.days += n; break;
      case 'h': d.hours += n; break;
      default:
        return InvalidArgument("invalid duration \"" + std::string(s) + "\": unit '" + std::string(1, c) +
                               "' (use y, m, d, h)");
    }
  }
  if (!num.empty()) return InvalidArgument("invalid duration \"" + std::string(s) + "\": number without unit");
  return d;
}

bool RetentionPolicy::empty() const {
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 && within.zero() &&
         within_hourly.zero() && within_daily.zero() && within_weekly.zero() && within_monthly.zero() &&
         within_yearly.zero() && keep_tags.empty();
}

std::string RetentionPolicy::ToString() const {
  std::vector<std::string> parts;
  auto count = [&](int n, const char* what) {
    if (n == -1) parts.push_back(std::string("all ") + what);
    else if (n > 0) parts.push_back(std::to_string(n) + " " + what);
  };
  count(last, "last");
  count(hourly, "hourly");
  count(daily, "daily");
  count(weekly, "weekly");
  count(monthly, "monthly");
  count(yearly, "yearly");
  auto within_rule = [&](const CalendarDuration& d, const char* what) {
    if (!d.zero()) parts.push_back(std::string(what) + " within " + d.ToString());
  };
  within_rule(within, "all");
  within_rule(within_hourly, "hourly");
  within_rule(within_daily, "daily");
  within_rule(within_weekly, "weekly");
  within_rule(within_monthly, "monthly");
  within_rule(within_yearly, "yearly");
  for (const auto& tags : keep_tags) parts.push_back("tagged " + Join(tags, ","));
  return "keep " + Join(parts, ", ");
}

std::vector<RetentionDecision> ApplyRetention(std::vector<Snapshot> group, const RetentionPolicy& policy) {
  std::stable_sort(group.begin(), group.end(), [](const Snapshot& a, const Snapshot& b) { return a.time > b.time; });
  std::vector<RetentionDecision> out;
  if (policy.empty()) {
    for (Snapshot& s : group) out.push_back({std::move(s), true, {"policy is empty"}});
    return out;
  }
  if (group.empty()) return out;
  struct Bucket {
    int count;
    int (*bucker)(const Snapshot&);
    int last;
    const char* reason;
  };
  Bucket buckets[] = {
      {policy.last, nullptr, -1, "last snapshot"},    {policy.hourly, Hourly, -1, "hourly snapshot"},
      {policy.daily, Daily, -1, "daily snapshot"},    {policy.weekly, Weekly, -1, "weekly snapshot"},
      {policy.monthly, Monthly, -1, "monthly snapshot"}, {policy.yearly, Yearly, -1, "yearly snapshot"},
  };
  struct WithinBucket {
    CalendarDuration within;
    int (*bucker)(const Snapshot&);
    int last;
    const char* reason;
  };
  WithinBucket within_buckets[] = {
      {policy.within_hourly, Hourly, -1, "hourly within"},   {policy.within_daily, Daily, -1, "daily within"},
      {policy.within_weekly, Weekly, -1, "weekly within"},   {policy.within_monthly, Monthly, -1, "monthly within"},
      {policy.within_yearly, Yearly, -1, "yearly within"},
  };
  Timestamp newest = group.front().time;
  for (size_t nr = 0; nr < group.size(); ++nr) {
    RetentionDecision d{std::move(group[nr]), false, {}};
    const Snapshot& cur = d.snapshot;
    for (const auto& tags : policy.keep_tags) {
      if (HasAllTags(cur, tags)) {
        d.keep = true;
        d.reasons.push_back("has tags [" + Join(tags, " ") + "]");
      }
    }
    if (!policy.within.zero() && cur.time > Minus(newest, policy.within)) {
      d.keep = true;
      d.reasons.push_back("within " + policy.within.ToString());
    }
    for (Bucket& b : buckets) {
      if (b.count == 0) continue;
      int value = b.bucker != nullptr ? b.bucker(cur) : static_cast<int>(nr);
      if (value != b.last) {
        d.keep = true;
        b.last = value;
        if (b.count > 0) --b.count;
        d.reasons.push_back(b.reason);
      }
    }
    for (WithinBucket& b : within_buckets) {
      if (b.within.zero() || !(cur.time > Minus(newest, b.within))) continue;
      int value = b.bucker(cur);
      if (value != b.last) {
        d.keep = true;
        b.last = value;
        d.reasons.push_back(std::string(b.reason) + " " + b.within.ToString());
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<NamedPolicy>> ParsePolicyFile(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("policy file: " + std::string(e.what()));
  }
  if (!root.IsMap()) return InvalidArgument("policy file: want a map of policy names to rules");
  std::vector<NamedPolicy> out;
  for (const auto& entry : root) {
    NamedPolicy np;
    np.name = entry.first.as<std::string>();
    np.tag = np.name;
    const YAML::Node& rules = entry.second;
    std::string where = "policy file: policy \"" + np.name + "\"";
    if (!rules.IsMap()) return InvalidArgument(where + ": want a map of rules, e.g. {within: 30d}");
    for (const auto& rule : rules) {
      std::string key = rule.first.as<std::string>();
      const YAML::Node& v = rule.second;
      auto count = [&](int* field) -> Status {
        std::string text = v.IsScalar() ? v.as<std::string>() : "";
        if (text == "unlimited" || text == "-1") {
          *field = -1;
          return Status::Ok();
        }
        char* end = nullptr;
        long n = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || n < 0) {
          return InvalidArgument(where + ": " + key + " wants a count or \"unlimited\", not \"" + text + "\"");
        }
        *field = static_cast<int>(n);
        return Status::Ok();
      };
      auto duration = [&](CalendarDuration* field) -> Status {
        auto d = ParseCalendarDuration(v.IsScalar() ? v.as<std::string>() : "");
        if (!d.ok()) return InvalidArgument(where + ": " + key + ": " + d.status().message());
        *field = *d;
        return Status::Ok();
      };
      RetentionPolicy& p = np.policy;
      Status st;
      if (key == "last") st = count(&p.last);
      else if (key == "hourly") st = count(&p.hourly);
      else if (key == "daily") st = count(&p.daily);
      else if (key == "weekly") st = count(&p.weekly);
      else if (key == "monthly") st = count(&p.monthly);
      else if (key == "yearly") st = count(&p.yearly);
      else if (key == "within") st = duration(&p.within);
      else if (key == "within-hourly") st = duration(&p.within_hourly);
      else if (key == "within-daily") st = duration(&p.within_daily);
      else if (key == "within-weekly") st = duration(&p.within_weekly);
      else if (key == "within-monthly") st = duration(&p.within_monthly);
      else if (key == "within-yearly") st = duration(&p.within_yearly);
      else if (key == "tag") np.tag = v.as<std::string>();
      else if (key == "keep-tags") {
        if (!v.IsSequence()) return InvalidArgument(where + ": keep-tags wants a list like [\"hold,legal\"]");
        for (const auto& t : v) {
          std::vector<std::string> tags = SplitList(t.as<std::string>());
          if (!tags.empty()) p.keep_tags.push_back(tags);
        }
      } else {
        return InvalidArgument(where + ": unknown rule \"" + key + "\"");
      }
      LB_RETURN_IF_ERROR(st);
    }
    if (np.policy.empty()) return InvalidArgument(where + ": no rules (it would keep everything)");
    out.push_back(std::move(np));
  }
  return out;
}

bool SnapshotGroupKey::operator<(const SnapshotGroupKey& o) const {
  return std::tie(host, paths, tags) < std::tie(o.host, o.paths, o.tags);
}

Result<std::vector<std::pair<SnapshotGroupKey, std::vector<Snapshot>>>> GroupSnapshots(
    std::vector<Snapshot> snapshots, std::string_view group_by) {
  bool by_host = false, by_paths = false, by_tags = false;
  for (const std::string& field : SplitList(group_by)) {
    if (field == "host") by_host = true;
    else if (field == "paths") by_paths = true;
    else if (field == "tags") by_tags = true;
    else return InvalidArgument("--group-by: unknown field \"" + field + "\" (host, paths, tags)");
  }
  std::map<SnapshotGroupKey, std::vector<Snapshot>> groups;
  for (Snapshot& s : snapshots) {
    SnapshotGroupKey key;
    if (by_host) key.host = s.hostname;
    if (by_paths) {
      key.paths = s.paths;
      std::sort(key.paths.begin(), key.paths.end());
    }
    if (by_tags) {
      key.tags = s.tags;
      std::sort(key.tags.begin(), key.tags.end());
    }
    groups[key].push_back(std::move(s));
  }
  std::vector<std::pair<SnapshotGroupKey, std::vector<Snapshot>>> out(groups.begin(), groups.end());
  return out;
}

Status CheckRemovable(const Snapshot& snapshot) {
  if (!snapshot.HasTag(kHoldTag)) return Status::Ok();
  return InvalidArgument("snapshot " + snapshot.id.Short() + " is tagged \"" + kHoldTag +
                         "\" and is never removed; remove the tag first");
}

Result<ForgetPlan> PlanForget(const std::vector<Snapshot>& snapshots, const std::vector<NamedPolicy>& policies,
                              std::string_view group_by) {
  ForgetPlan plan;
  std::map<Id, std::pair<bool, RetentionDecision>> verdict;  // id -> (kept by some policy, decision)
  for (const NamedPolicy& run : policies) {
    std::vector<Snapshot> subset;
    for (const Snapshot& snap : snapshots) {
      if (run.tag.empty() || snap.HasTag(run.tag)) subset.push_back(snap);
    }
    LB_ASSIGN_OR_RETURN(auto groups, GroupSnapshots(std::move(subset), group_by));
    for (auto& [key, snaps] : groups) {
      ForgetGroup g{run.name, run.tag, run.policy, key, {}, {}};
      for (RetentionDecision& d : ApplyRetention(std::move(snaps), run.policy)) {
        if (!d.keep && d.snapshot.HasTag(kHoldTag)) {
          d.keep = true;
          d.reasons.push_back("on hold (tag \"" + std::string(kHoldTag) + "\")");
        }
        auto [it, fresh] = verdict.try_emplace(d.snapshot.id, d.keep, d);
        if (!fresh) it->second.first = it->second.first || d.keep;
        (d.keep ? g.keep : g.remove).push_back(std::move(d));
      }
      plan.groups.push_back(std::move(g));
    }
  }
  for (auto& [id, v] : verdict) {
    if (!v.first) plan.removals.push_back(std::move(v.second));
  }
  for (const Snapshot& snap : snapshots) plan.untouched += verdict.count(snap.id) ? 0 : 1;
  return plan;
}

}  // namespace lifeboat
