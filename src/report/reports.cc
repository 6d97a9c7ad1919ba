#include "report/reports.h"

#include <time.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "engine/forget.h"
#include "engine/stats.h"
#include "jobs/attempt.h"
#include "verify/suite.h"

namespace lifeboat {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr double kDay = 86400;
constexpr size_t kGzipSample = 8u << 20;

std::string Utc(Timestamp t) {
  time_t secs = static_cast<time_t>(t.sec);
  tm parts;
  gmtime_r(&secs, &parts);
  char buf[32];
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &parts));
}

std::string Days(double seconds) {
  char buf[32];
  int64_t s = static_cast<int64_t>(seconds);
  if (s < 0) s = 0;
  std::snprintf(buf, sizeof buf, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
  return buf;
}

// A schedule's interval for people: "1 day", "31 days", "6 h".
std::string Every(double seconds) {
  int64_t s = static_cast<int64_t>(seconds);
  if (s > 0 && s % 86400 == 0) return std::to_string(s / 86400) + (s == 86400 ? " day" : " days");
  if (s > 0 && s % 3600 == 0) return std::to_string(s / 3600) + " h";
  return HumanDuration(seconds);
}

std::string Money(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, usd > 0 && usd < 0.01 ? "$%.6f" : "$%.2f", usd);
  return buf;
}

std::string Html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// An HTML page around `body`: inline style, nothing fetched.
std::string Page(const std::string& title, const RepositoryFacts& f, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + Html(title) +
         "</title>\n<style>\nbody{font:15px/1.45 system-ui,sans-serif;margin:2em "
         "auto;max-width:70em;padding:0 "
         "1em;color:#222}\ntable{border-collapse:collapse;width:100%;margin:1em "
         "0}\nth,td{text-align:left;padding:"
         ".3em .5em;border-bottom:1px solid "
         "#ddd}\nth{background:#f4f4f4}td.n{text-align:right}\n.PASS{color:#2e7d32;"
         "font-weight:bold}.FAIL{color:#c62828;font-weight:bold}.WARN{color:#b26a00;font-weight:bold}\n.meta{"
         "color:"
         "#555}\n</style></head><body>\n<h1>" +
         Html(title) + "</h1>\n<p class=\"meta\">Date: " + Html(Utc(f.now)) +
         " UTC &middot; Repository: " + Html(f.repository) + "</p>\n" + body + "</body></html>\n";
}

double GzipRatio(const std::string& sample) {
  if (sample.empty()) return 1.0;
  uLongf size = compressBound(sample.size());
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(sample.data()),
                sample.size(), 9) != Z_OK) {
    return 1.0;
  }
  return double(size) / double(sample.size());
}

// The period a policy promises to keep, in seconds (0: none stated).
double RequiredSeconds(const RetentionPolicy& p) {
  auto of = [](const CalendarDuration& d) {
    return (d.years * 365.0 + d.months * 30.0 + d.days) * kDay + d.hours * 3600.0;
  };
  double s = std::max({of(p.within), of(p.within_hourly), of(p.within_daily), of(p.within_weekly),
                       of(p.within_monthly), of(p.within_yearly)});
  auto count = [](int n, double unit) { return n > 0 ? n * unit : 0.0; };
  s = std::max({s, count(p.daily, kDay), count(p.weekly, 7 * kDay), count(p.monthly, 30 * kDay),
                count(p.yearly, 365 * kDay), count(p.hourly, 3600)});
  return s;
}

// Seconds between two fire times of a schedule, near `now`.
double ScheduleGap(const Schedule& s, Timestamp now) {
  auto a = s.Next(now);
  if (!a) return 0;
  auto b = s.Next(*a);
  return b ? double(b->sec - a->sec) : 0;
}

const char* kStandard = "STANDARD";

}  // namespace

Result<RepositoryFacts> GatherFacts(Repository& repo, const std::string& name, bool s3, const Config* config,
                                    RunHistory* history, Timestamp now) {
  RepositoryFacts f;
  f.now = now;
  f.repository = name;
  f.s3 = s3;
  f.config = config;
  f.history = history;
  LB_ASSIGN_OR_RETURN(std::vector<Snapshot> all, repo.LoadAllSnapshots());
  std::sort(all.begin(), all.end(), [](const Snapshot& a, const Snapshot& b) { return a.time < b.time; });

  // The config's jobs on this repository, by the paths their snapshots record.
  std::vector<std::pair<std::vector<std::string>, const ScheduledJob*>> jobs;
  if (config != nullptr) {
    for (const ScheduledJob& job : config->jobs) {
      if (job.kind != "backup") continue;
      const RepositorySpec* r = config->FindRepository(job.repository);
      if (r == nullptr || (r->name != name && r->url != name)) continue;
      MapOptions options(job.options);
      auto source = SourceFor(job.source, options);
      if (source.ok()) jobs.emplace_back(RecordedPaths(**source), &job);
    }
  }
  LB_RETURN_IF_ERROR(repo.storage().List(FileType::kPack, [&](const ObjectInfo& o) {
    auto id = Id::FromHex(o.name);
    if (!id) return;
    std::string cls = s3 ? (o.storage_class.empty() ? kStandard : o.storage_class) : "local";
    f.packs[*id] = RepositoryFacts::Pack{o.size, cls, Timestamp{}};
    f.pack_bytes_by_class[cls] += o.size;
  }));
  for (FileType t :
       {FileType::kConfig, FileType::kKey, FileType::kSnapshot, FileType::kIndex, FileType::kLog}) {
    LB_RETURN_IF_ERROR(repo.storage().List(t, [&](const ObjectInfo& o) { f.metadata_bytes += o.size; }));
  }

  std::map<std::string, std::vector<Snapshot>> by_class, by_source;
  std::map<std::string, const Snapshot*> newest_of_source;
  for (const Snapshot& snap : all) {
    SnapshotFacts s;
    s.snapshot = snap;
    s.kind = SnapshotKind(snap);
    std::vector<std::string> paths = snap.paths;
    std::sort(paths.begin(), paths.end());
    s.source = Joined(paths);
    for (const auto& [p, job] : jobs) {
      if (p == paths) s.job = job->name;
    }
    if (config != nullptr) {
      for (const NamedPolicy& c : config->retention) {
        if (!c.tag.empty() && snap.HasTag(c.tag)) {
          s.retention = c.name;
          break;
        }
      }
    }
    s.held = snap.HasTag(kHoldTag);
    LB_ASSIGN_OR_RETURN(s.usage, ComputeUsage(repo, snap));
    std::map<std::string, uint64_t> mix;
    for (const auto& [pack, bytes] : s.usage.packs) {
      auto it = f.packs.find(pack);
      if (it == f.packs.end()) continue;
      mix[it->second.storage_class] += bytes;
      if (it->second.first_used.sec == 0 || snap.time < it->second.first_used)
        it->second.first_used = snap.time;
    }
    uint64_t best = 0;
    for (const auto& [cls, bytes] : mix) {
      if (bytes > best) best = bytes, s.storage_class = cls;
    }
    if (s.storage_class.empty()) s.storage_class = s3 ? kStandard : "local";
    by_class[s.retention.empty() ? "(none)" : s.retention].push_back(snap);
    by_source[s.source].push_back(snap);
    newest_of_source[s.source] = &snap;
    f.snapshots.push_back(std::move(s));
  }
  for (const auto& [cls, snaps] : by_class) {
    LB_ASSIGN_OR_RETURN(StatsSummary st, ComputeStats(repo, snaps, StatsMode::kRawData));
    f.stored_by_class[cls] = st.stored;
  }
  for (const auto& [src, snaps] : by_source) {
    LB_ASSIGN_OR_RETURN(StatsSummary st, ComputeStats(repo, snaps, StatsMode::kRawData));
    f.stored_by_source[src] = st.stored;
    LB_ASSIGN_OR_RETURN(std::string sample, SampleContent(repo, *newest_of_source[src], kGzipSample));
    f.gzip_ratio_by_source[src] = GzipRatio(sample);
  }
  return f;
}

PriceTable PriceTable::Default() {
  PriceTable t;
  // AWS S3 us-east-1 list prices (per GB-month; retrieval per GB).
  t.classes["STANDARD"] = {0.023, 0};
  t.classes["STANDARD_IA"] = {0.0125, 0.01};
  t.classes["ONEZONE_IA"] = {0.01, 0.01};
  t.classes["GLACIER_IR"] = {0.004, 0.03};
  t.classes["GLACIER"] = {0.0036, 0.01};
  t.classes["DEEP_ARCHIVE"] = {0.00099, 0.02};
  return t;
}

Result<PriceTable> PriceTable::Load(const std::string& path) {
  PriceTable t = Default();
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("price table " + path + ": " + e.what());
  }
  if (!root.IsMap()) return InvalidArgument("price table " + path + ": want a map of storage classes");
  for (const auto& kv : root) {
    const std::string cls = kv.first.as<std::string>();
    if (!kv.second.IsMap())
      return InvalidArgument("price table " + path + ": " + cls + ": want {gb_month: N}");
    ClassPrice p = t.classes.count(cls) ? t.classes[cls] : ClassPrice{};
    for (const auto& field : kv.second) {
      const std::string key = field.first.as<std::string>();
      double v = 0;
      try {
        v = field.second.as<double>();
      } catch (const YAML::Exception&) {
        return InvalidArgument("price table " + path + ": " + cls + "." + key + ": not a number");
      }
      if (v < 0) return InvalidArgument("price table " + path + ": " + cls + "." + key + ": negative");
      if (key == "gb_month") {
        p.gb_month = v;
      } else if (key == "retrieval_gb") {
        p.retrieval_gb = v;
      } else {
        return InvalidArgument("price table " + path + ": " + cls + "." + key +
                               ": unknown key (gb_month, retrieval_gb)");
      }
    }
    t.classes[cls] = p;
  }
  return t;
}

ClassPrice PriceTable::For(const std::string& storage_class) const {
  auto it = classes.find(storage_class);
  if (it != classes.end()) return it->second;
  auto std_it = classes.find(kStandard);
  return std_it != classes.end() ? std_it->second : ClassPrice{};
}

Result<std::string> RenderInventory(const RepositoryFacts& f, const std::string& format) {
  struct Total {
    uint64_t count = 0, restore = 0, held = 0;
  };
  std::map<std::string, Total> totals;
  for (const SnapshotFacts& s : f.snapshots) {
    Total& t = totals[s.retention.empty() ? "(none)" : s.retention];
    t.count++;
    t.restore += s.usage.restore_size;
    t.held += s.held ? 1 : 0;
  }
  auto age = [&](const SnapshotFacts& s) { return double(f.now.sec - s.snapshot.time.sec); };
  if (format == "csv") {
    std::string out =
        "snapshot,time,age_seconds,host,source,kind,job,retention,held,files,size,stored,repository,storage_"
        "class\n";
    for (const SnapshotFacts& s : f.snapshots) {
      out += s.snapshot.id.Hex() + "," + FormatRfc3339(s.snapshot.time) + "," +
             std::to_string(static_cast<int64_t>(age(s))) + "," + Csv(s.snapshot.hostname) + "," +
             Csv(s.source) + "," + s.kind + "," + Csv(s.job) + "," + Csv(s.retention) + "," +
             (s.held ? "yes" : "no") + "," + std::to_string(s.usage.files) + "," +
             std::to_string(s.usage.restore_size) + "," + std::to_string(s.usage.stored) + "," +
             Csv(f.repository) + "," + s.storage_class + "\n";
    }
    return out;
  }
  if (format == "json") {
    nlohmann::json rows = nlohmann::json::array();
    for (const SnapshotFacts& s : f.snapshots) {
      rows.push_back({{"snapshot", s.snapshot.id.Hex()},
                      {"time", FormatRfc3339(s.snapshot.time)},
                      {"age_seconds", static_cast<int64_t>(age(s))},
                      {"host", s.snapshot.hostname},
                      {"source", s.source},
                      {"kind", s.kind},
                      {"job", s.job},
                      {"retention", s.retention},
                      {"held", s.held},
                      {"files", s.usage.files},
                      {"size", s.usage.restore_size},
                      {"stored", s.usage.stored},
                      {"storage_class", s.storage_class}});
    }
    nlohmann::json classes = nlohmann::json::object();
    for (const auto& [name, t] : totals) {
      classes[name] = {{"snapshots", t.count},
                       {"size", t.restore},
                       {"stored", f.stored_by_class.count(name) ? f.stored_by_class.at(name) : 0},
                       {"held", t.held}};
    }
    return Dump({{"report", "inventory"},
                 {"date", FormatRfc3339(f.now)},
                 {"repository", f.repository},
                 {"snapshots", rows},
                 {"retention_classes", classes},
                 {"storage_classes", f.pack_bytes_by_class},
                 {"metadata_bytes", f.metadata_bytes}});
  }
  if (format != "text" && format != "html")
    return InvalidArgument("--format " + format + ": not text, csv, json or html");
  if (format == "text") {
    std::string out = "Backup Inventory\n================\nDate: " + Utc(f.now) +
                      " UTC\nRepository: " + f.repository +
                      "\nSnapshots: " + std::to_string(f.snapshots.size()) + "\n\n";
    char line[1024];
    std::snprintf(line, sizeof line, "%-8s  %-16s  %-9s  %-8s  %-12s  %-12s  %-4s  %9s  %9s  %-11s  %s\n",
                  "ID", "Time (UTC)", "Age", "Kind", "Job", "Retention", "Held", "Size", "Stored", "Storage",
                  "Source");
    out += line;
    for (const SnapshotFacts& s : f.snapshots) {
      std::snprintf(line, sizeof line, "%-8s  %-16s  %-9s  %-8s  %-12s  %-12s  %-4s  %9s  %9s  %-11s  %s\n",
                    s.snapshot.id.Short().c_str(), Utc(s.snapshot.time).c_str(), Days(age(s)).c_str(),
                    s.kind.c_str(), s.job.empty() ? "-" : s.job.c_str(),
                    s.retention.empty() ? "-" : s.retention.c_str(), s.held ? "yes" : "",
                    HumanBytes(s.usage.restore_size).c_str(), HumanBytes(s.usage.stored).c_str(),
                    s.storage_class.c_str(), s.source.c_str());
      out += line;
    }
    out += "\nTotals per retention class (stored: each blob once):\n";
    for (const auto& [name, t] : totals) {
      out += "  " + name + ": " + std::to_string(t.count) + " snapshots, " + HumanBytes(t.restore) +
             " of files, " + HumanBytes(f.stored_by_class.count(name) ? f.stored_by_class.at(name) : 0) +
             " stored" + (t.held ? ", " + std::to_string(t.held) + " held" : "") + "\n";
    }
    out += "\nStorage:\n";
    for (const auto& [cls, bytes] : f.pack_bytes_by_class)
      out += "  data packs, " + cls + ": " + HumanBytes(bytes) + "\n";
    out += "  index, snapshots, keys, config, log archive: " + HumanBytes(f.metadata_bytes) + "\n";
    return out;
  }
  std::string body =
      "<p>" + std::to_string(f.snapshots.size()) +
      " snapshots.</p>\n<table><tr><th>ID</th><th>Time (UTC)</th><th>Age</th><th>Kind</th><th>Job</th>"
      "<th>Retention</th><th>Held</th><th>Size</th><th>Stored</th><th>Storage</th><th>Source</th></tr>\n";
  for (const SnapshotFacts& s : f.snapshots) {
    body += "<tr><td>" + s.snapshot.id.Short() + "</td><td>" + Utc(s.snapshot.time) + "</td><td>" +
            Days(age(s)) + "</td><td>" + Html(s.kind) + "</td><td>" + Html(s.job) + "</td><td>" +
            Html(s.retention) + "</td><td>" + (s.held ? "yes" : "") + "</td><td class=\"n\">" +
            HumanBytes(s.usage.restore_size) + "</td><td class=\"n\">" + HumanBytes(s.usage.stored) +
            "</td><td>" + Html(s.storage_class) + "</td><td>" + Html(s.source) + "</td></tr>\n";
  }
  body +=
      "</table>\n<h2>Totals per retention "
      "class</h2>\n<table><tr><th>Class</th><th>Snapshots</th><th>Size</th>"
      "<th>Stored</th><th>Held</th></tr>\n";
  for (const auto& [name, t] : totals) {
    body += "<tr><td>" + Html(name) + "</td><td class=\"n\">" + std::to_string(t.count) +
            "</td><td class=\"n\">" + HumanBytes(t.restore) + "</td><td class=\"n\">" +
            HumanBytes(f.stored_by_class.count(name) ? f.stored_by_class.at(name) : 0) +
            "</td><td class=\"n\">" + std::to_string(t.held) + "</td></tr>\n";
  }
  body += "</table>\n";
  return Page("Backup Inventory", f, body);
}

namespace {

struct Finding {
  std::string result;  // PASS, WARN, FAIL
  std::string text;
};

struct ClassCompliance {
  std::string name, policy;
  double required = 0;
  size_t snapshots = 0, held = 0;
  std::vector<Finding> findings;
  std::string verdict() const {
    std::string v = "PASS";
    for (const Finding& x : findings) {
      if (x.result == "FAIL") return "FAIL";
      if (x.result == "WARN") v = "WARN";
    }
    return v;
  }
};

std::vector<ClassCompliance> Compliance(const RepositoryFacts& f) {
  std::vector<ClassCompliance> out;
  std::vector<NamedPolicy> classes;
  if (f.config != nullptr) classes = f.config->retention;
  const double period = 30 * kDay;  // restore tests and runs: the last 30 days
  for (const NamedPolicy& c : classes) {
    ClassCompliance cc;
    cc.name = c.name;
    cc.policy = c.policy.ToString();
    cc.required = RequiredSeconds(c.policy);
    std::map<std::string, std::vector<const SnapshotFacts*>> groups;
    for (const SnapshotFacts& s : f.snapshots) {
      if (s.retention != c.name) continue;
      cc.snapshots++;
      cc.held += s.held ? 1 : 0;
      groups[s.snapshot.hostname + " " + s.source].push_back(&s);
    }
    std::vector<const ScheduledJob*> jobs;
    if (f.config != nullptr) {
      for (const ScheduledJob& j : f.config->jobs) {
        if (j.kind == "backup" && j.retention == c.name) jobs.push_back(&j);
      }
    }
    if (cc.snapshots == 0) {
      cc.findings.push_back(
          {jobs.empty() ? "WARN" : "FAIL", "no snapshot carries the class's tag \"" + c.tag + "\"" +
                                               (jobs.empty() ? " and no job uses it" : "")});
      out.push_back(std::move(cc));
      continue;
    }
    for (const auto& [group, snaps] : groups) {
      double oldest = double(f.now.sec - snaps.front()->snapshot.time.sec);
      double newest = double(f.now.sec - snaps.back()->snapshot.time.sec);
      double gap = 0;
      for (size_t i = 1; i < snaps.size(); ++i) {
        gap = std::max(gap, double(snaps[i]->snapshot.time.sec - snaps[i - 1]->snapshot.time.sec));
      }
      double every = 0;
      for (const ScheduledJob* j : jobs) {
        if (j->name == snaps.back()->job) every = ScheduleGap(j->schedule, f.now);
      }
      std::string who = snaps.back()->job.empty() ? group : "job " + snaps.back()->job;
      if (cc.required > 0) {
        // A class may hold a little less than its period: the oldest
        // snapshot within one schedule interval of it is the promise kept.
        bool met = oldest + std::max(every, kDay) >= cc.required;
        cc.findings.push_back(
            {met ? "PASS" : "WARN", who + ": " + Days(cc.required) + " required, oldest " + Days(oldest) +
                                        (met ? ""
                                             : " (younger than the period: the history is "
                                               "shorter, or snapshots were removed early)")});
      }
      if (every > 0) {
        double allowed = every * 1.5 + 3600;
        if (gap > allowed) {
          cc.findings.push_back({"FAIL", who + ": a gap of " + Days(gap) +
                                             " between snapshots, longer than its " + "schedule (every " +
                                             Every(every) + ")"});
        } else if (newest > allowed) {
          cc.findings.push_back({"FAIL", who + ": no snapshot for " + Days(newest) +
                                             ", longer than its schedule " + "(every " + Every(every) + ")"});
        } else {
          cc.findings.push_back({"PASS", who + ": no gap longer than the schedule (every " + Every(every) +
                                             "; longest " + Days(gap) + ")"});
        }
      }
    }
    if (cc.held > 0)
      cc.findings.push_back({"PASS", std::to_string(cc.held) + " held snapshot(s) kept regardless"});
    if (f.history != nullptr) {
      for (const ScheduledJob* j : jobs) {
        auto runs = f.history->List(j->name);
        auto tests = f.history->List("verify-" + j->name);
        size_t failed = 0, ok_tests = 0, bad_tests = 0;
        if (runs.ok()) {
          for (const RunRecord& r : *runs) {
            if (r.finished() && r.result != "success" && f.now.sec - r.start.sec <= period) failed++;
          }
        }
        if (tests.ok()) {
          for (const RunRecord& r : *tests) {
            if (!r.finished() || f.now.sec - r.start.sec > period) continue;
            (r.result == "success" ? ok_tests : bad_tests)++;
          }
        }
        cc.findings.push_back({failed ? "FAIL" : "PASS", "job " + j->name + ": " + std::to_string(failed) +
                                                             " failed run(s) in the last 30 days"});
        cc.findings.push_back({ok_tests + bad_tests == 0 ? "WARN"
                               : bad_tests               ? "FAIL"
                                                         : "PASS",
                               "job " + j->name + ": " + std::to_string(ok_tests) +
                                   " restore test(s) passed, " + std::to_string(bad_tests) +
                                   " failed in the last 30 days"});
        if (!j->copy_to.empty() && runs.ok()) {
          for (const RunRecord& r : *runs) {
            auto details = AttemptResult::FromJson(r.details);
            if (!r.finished() || !details.ok() || details->copies.empty()) continue;
            for (const CopyOutcome& c : details->copies) {
              bool behind = !c.error.empty() || c.behind_since.sec != 0;
              cc.findings.push_back({behind ? "FAIL" : "PASS",
                                     "job " + j->name + ": DR copy to " + c.to + " " +
                                         (!c.error.empty() ? "failed: " + c.error
                                          : behind ? "lacks snapshots since " + FormatRfc3339(c.behind_since)
                                                   : "holds every snapshot")});
            }
            break;
          }
        }
      }
    }
    out.push_back(std::move(cc));
  }
  return out;
}

}  // namespace

Result<std::string> RenderCompliance(const RepositoryFacts& f, const std::string& format) {
  std::vector<ClassCompliance> classes = Compliance(f);
  if (format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const ClassCompliance& c : classes) {
      nlohmann::json findings = nlohmann::json::array();
      for (const Finding& x : c.findings) findings.push_back({{"result", x.result}, {"text", x.text}});
      list.push_back({{"class", c.name},
                      {"policy", c.policy},
                      {"required_seconds", c.required},
                      {"snapshots", c.snapshots},
                      {"held", c.held},
                      {"result", c.verdict()},
                      {"findings", findings}});
    }
    return Dump({{"report", "compliance"},
                 {"date", FormatRfc3339(f.now)},
                 {"repository", f.repository},
                 {"classes", list},
                 {"dr_drills", "not recorded yet"}});
  }
  if (format == "text") {
    std::string out = "Backup Compliance Report\n========================\nDate: " + Utc(f.now) +
                      " UTC\nRepository: " + f.repository + "\n";
    if (classes.empty()) out += "\n(no retention classes: give --config with a retention: section)\n";
    for (const ClassCompliance& c : classes) {
      out += "\n" + c.name + ": " + c.verdict() + " (" + c.policy + "; " + std::to_string(c.snapshots) +
             " snapshots)\n";
      for (const Finding& x : c.findings) out += "  " + x.result + "  " + x.text + "\n";
    }
    out += "\nQuarterly DR drills: not recorded yet (lifeboat dr drill is to come)\n";
    return out;
  }
  if (format != "html") return InvalidArgument("--format " + format + ": not text, json or html");
  std::string body;
  for (const ClassCompliance& c : classes) {
    body += "<h2>" + Html(c.name) + ": <span class=\"" + c.verdict() + "\">" + c.verdict() +
            "</span></h2>\n<p>" + Html(c.policy) + "; " + std::to_string(c.snapshots) +
            " snapshots</p>\n<table>\n";
    for (const Finding& x : c.findings) {
      body += "<tr><td class=\"" + x.result + "\">" + x.result + "</td><td>" + Html(x.text) + "</td></tr>\n";
    }
    body += "</table>\n";
  }
  body += "<p>Quarterly DR drills: not recorded yet.</p>\n";
  return Page("Backup Compliance Report", f, body);
}

Result<std::string> RenderCost(const RepositoryFacts& f, const PriceTable& prices,
                               const std::string& format) {
  if (format != "text" && format != "json" && format != "html") {
    return InvalidArgument("--format " + format + ": not text, json or html");
  }
  // This month: the packs where they are; metadata in STANDARD.
  double now_cost = 0;
  std::map<std::string, double> now_by_class;
  for (const auto& [cls, bytes] : f.pack_bytes_by_class) {
    double c = bytes / kGiB * prices.For(cls).gb_month;
    now_by_class[cls] = c;
    now_cost += c;
  }
  double meta_cost = f.metadata_bytes / kGiB * prices.For(kStandard).gb_month;
  now_cost += meta_cost;
  // Under the plan's lifecycle: each pack by its age.
  std::map<std::string, uint64_t> projected_bytes;
  for (const auto& [id, p] : f.packs) {
    double age = p.first_used.sec == 0 ? 0 : double(f.now.sec - p.first_used.sec);
    projected_bytes[age >= 90 * kDay ? "GLACIER" : age >= 30 * kDay ? "STANDARD_IA" : kStandard] += p.size;
  }
  double projected = meta_cost;
  for (const auto& [cls, bytes] : projected_bytes) projected += bytes / kGiB * prices.For(cls).gb_month;
  // Against the plan's gzip -9 dumps: every snapshot a full compressed copy.
  double gzip_bytes = 0;
  for (const SnapshotFacts& s : f.snapshots) {
    auto it = f.gzip_ratio_by_source.find(s.source);
    gzip_bytes += s.usage.restore_size * (it == f.gzip_ratio_by_source.end() ? 1.0 : it->second);
  }
  uint64_t stored = f.metadata_bytes;
  for (const auto& [cls, bytes] : f.pack_bytes_by_class) stored += bytes;
  double saving = gzip_bytes > 0 ? 1.0 - double(stored) / gzip_bytes : 0;
  double gzip_cost = gzip_bytes / kGiB * prices.For(kStandard).gb_month;
  std::map<std::string, double> by_source;
  for (const auto& [src, bytes] : f.stored_by_source)
    by_source[src] = bytes / kGiB * prices.For(kStandard).gb_month;

  if (format == "json") {
    nlohmann::json classes = nlohmann::json::object();
    for (const auto& [cls, bytes] : f.pack_bytes_by_class) {
      classes[cls] = {{"bytes", bytes}, {"usd_month", now_by_class[cls]}};
    }
    nlohmann::json sources = nlohmann::json::object();
    for (const auto& [src, bytes] : f.stored_by_source) {
      sources[src] = {
          {"bytes", bytes},
          {"usd_month", by_source[src]},
          {"gzip9_ratio", f.gzip_ratio_by_source.count(src) ? f.gzip_ratio_by_source.at(src) : 1.0}};
    }
    return Dump({{"report", "cost"},
                 {"date", FormatRfc3339(f.now)},
                 {"repository", f.repository},
                 {"storage_classes", classes},
                 {"metadata_bytes", f.metadata_bytes},
                 {"sources", sources},
                 {"usd_month", now_cost},
                 {"usd_month_under_lifecycle", projected},
                 {"lifecycle_bytes", projected_bytes},
                 {"gzip9_dump_bytes", static_cast<uint64_t>(gzip_bytes)},
                 {"stored_bytes", stored},
                 {"saving_vs_gzip9", saving},
                 {"usd_month_gzip9", gzip_cost}});
  }
  std::string out;
  char line[512];
  out += "This month (" +
         std::string(f.s3 ? "S3 storage classes as listed" : "a local repository, priced as STANDARD") +
         "):\n";
  for (const auto& [cls, bytes] : f.pack_bytes_by_class) {
    std::snprintf(line, sizeof line, "  %-28s %12s  %10s\n", ("data packs, " + cls).c_str(),
                  HumanBytes(bytes).c_str(), Money(now_by_class[cls]).c_str());
    out += line;
  }
  std::snprintf(line, sizeof line, "  %-28s %12s  %10s\n", "index, snapshots, keys, logs",
                HumanBytes(f.metadata_bytes).c_str(), Money(meta_cost).c_str());
  out += line;
  std::snprintf(line, sizeof line, "  %-28s %12s  %10s per month\n", "total", HumanBytes(stored).c_str(),
                Money(now_cost).c_str());
  out += line;
  out += "\nUnder the plan's lifecycle (data packs: STANDARD_IA after 30 days, GLACIER after 90):\n";
  for (const auto& [cls, bytes] : projected_bytes) {
    std::snprintf(line, sizeof line, "  %-28s %12s  %10s\n", cls.c_str(), HumanBytes(bytes).c_str(),
                  Money(bytes / kGiB * prices.For(cls).gb_month).c_str());
    out += line;
  }
  std::snprintf(line, sizeof line, "  %-28s %12s  %10s per month\n", "total", HumanBytes(stored).c_str(),
                Money(projected).c_str());
  out += line;
  out += "\nBy source (stored, each blob once; priced as STANDARD):\n";
  for (const auto& [src, bytes] : f.stored_by_source) {
    std::snprintf(line, sizeof line, "  %-40s %12s  %10s\n", src.c_str(), HumanBytes(bytes).c_str(),
                  Money(by_source[src]).c_str());
    out += line;
  }
  std::snprintf(line, sizeof line, "%.1f%% %s", (saving < 0 ? -saving : saving) * 100,
                saving < 0 ? "more (so little data that the repository's own files outweigh it)" : "less");
  out +=
      "\nAgainst the plan's gzip -9 dumps (each snapshot a full compressed copy, the ratio measured on a "
      "sample "
      "of each source's newest snapshot):\n  " +
      HumanBytes(static_cast<uint64_t>(gzip_bytes)) + " as dumps, " + HumanBytes(stored) + " here: " + line +
      "; the dumps would cost " + Money(gzip_cost) + " a month as STANDARD\n";
  out += "\nRequests and retrievals are not counted (restores and checks of archived packs pay retrieval: " +
         Money(prices.For("GLACIER").retrieval_gb) + "/GB from GLACIER).\n";
  if (format == "text") {
    return "Backup Cost Report\n==================\nDate: " + Utc(f.now) +
           " UTC\nRepository: " + f.repository + "\nPrices: USD per GB-month\n\n" + out;
  }
  return Page("Backup Cost Report", f, "<pre>" + Html(out) + "</pre>\n");
}

}  // namespace lifeboat
