#include "verify/report.h"

#include <time.h>

#include <nlohmann/json.hpp>

#include "base/bytes.h"

namespace lifeboat {
namespace {

// The plan prints "2025-01-20 10:30:00"; its times are UTC.
std::string FormatUtc(Timestamp t) {
  time_t secs = static_cast<time_t>(t.sec);
  tm parts;
  gmtime_r(&secs, &parts);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
  return std::string(buf, n);
}

std::string Age(Timestamp now, Timestamp then) {
  if (then.sec == 0) return "";
  double s = double(now.sec - then.sec);
  return s < 0 ? "in the future" : HumanDuration(s);
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
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

std::string SummaryLineText(const SummaryLine& l) {
  std::string out = "- " + l.name + ": " + VerdictName(l.verdict);
  if (l.verdict != Verdict::kPass && !l.reason.empty()) out += " (" + l.reason + ")";
  return out;
}

std::string What(const SnapshotCheck& c) {
  std::string what = c.job.empty() ? c.source : "job " + c.job + " (" + c.source + ")";
  return what;
}

}  // namespace

const char* const kValidationGroups[4] = {"PostgreSQL Backup", "MongoDB Backup", "Redis Backup",
                                          "Configuration Backup"};

std::string ValidationGroupOf(const std::string& kind) {
  if (kind == "postgres") return kValidationGroups[0];
  if (kind == "mongodb") return kValidationGroups[1];
  if (kind == "redis") return kValidationGroups[2];
  return kValidationGroups[3];  // files, kubernetes
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kSkip:
      return "SKIP";
  }
  return "?";
}

std::vector<SummaryLine> ValidationReport::Summary() const {
  std::vector<SummaryLine> out;
  for (const char* group : kValidationGroups) {
    SummaryLine line{group, Verdict::kSkip, ""};
    size_t tested = 0;
    const SnapshotCheck* skipped = nullptr;
    for (const SnapshotCheck& c : snapshots) {
      if (c.group != group) continue;
      if (c.verdict == Verdict::kSkip) {
        if (skipped == nullptr) skipped = &c;
        continue;
      }
      ++tested;
      if (c.verdict == Verdict::kFail && line.verdict != Verdict::kFail) {
        line.verdict = Verdict::kFail;
        line.reason =
            (c.snapshot.empty() ? What(c) : "snapshot " + c.snapshot + " of " + What(c)) + ": " + c.reason;
      }
    }
    if (line.verdict != Verdict::kFail && tested > 0) line.verdict = Verdict::kPass;
    if (line.verdict == Verdict::kSkip) {
      if (skipped != nullptr) {
        line.reason = What(*skipped) + ": " + skipped->reason;
      } else {
        std::string name = group;
        name = name.substr(0, name.size() - std::string(" Backup").size());
        line.reason = "no " + name + " source " + (configured ? "configured" : "in the repository");
      }
    }
    out.push_back(std::move(line));
  }
  SummaryLine jobs_line{"Backup Jobs", Verdict::kSkip, jobs_skipped};
  if (jobs_skipped.empty()) {
    if (jobs.empty()) {
      jobs_line.reason = "no backup jobs configured";
    } else {
      jobs_line.verdict = Verdict::kPass;
      for (const JobCheck& j : jobs) {
        if (j.verdict == Verdict::kFail) {
          jobs_line.verdict = Verdict::kFail;
          jobs_line.reason = "job " + j.job + ": " + j.reason;
          break;
        }
      }
    }
  }
  out.push_back(std::move(jobs_line));
  return out;
}

bool ValidationReport::passed() const {
  for (const SummaryLine& l : Summary()) {
    if (l.verdict == Verdict::kFail) return false;
  }
  return true;
}

std::string ReportSummaryText(const ValidationReport& report) {
  std::string out = std::string("Backup Validation Report ") + (report.passed() ? "PASS" : "FAIL") + " (" +
                    FormatUtc(report.date) + " UTC)\n";
  for (const SummaryLine& l : report.Summary()) out += SummaryLineText(l) + "\n";
  return out;
}

std::string RenderReportText(const ValidationReport& r) {
  std::string out;
  out += "Backup Validation Report\n";
  out += "========================\n";
  out += "Date: " + FormatUtc(r.date) + "\n";
  out += "Validation Namespace: " + r.ns + "\n";
  out += "\n";
  out += "Summary:\n";
  for (const SummaryLine& l : r.Summary()) out += SummaryLineText(l) + "\n";
  out += "\n";
  out += "Restore tests:\n";
  if (r.snapshots.empty()) out += "  (none)\n";
  for (const SnapshotCheck& c : r.snapshots) {
    out += "\n";
    out += std::string("[") + VerdictName(c.verdict) + "] " + c.group + ": " + What(c) + "\n";
    if (!c.snapshot.empty()) {
      out += "  snapshot " + c.snapshot + " of host " + c.host + ", taken " + FormatUtc(c.snapshot_time) +
             " UTC (" + Age(r.date, c.snapshot_time) + " old), repository " + c.repository + "\n";
    } else if (!c.repository.empty()) {
      out += "  repository " + c.repository + "\n";
    }
    if (c.verdict == Verdict::kPass || c.bytes > 0) {
      out += "  restored " + HumanBytes(c.bytes) +
             (c.files ? " (" + std::to_string(c.files) + " files)" : "") + " in " + HumanDuration(c.seconds) +
             "\n";
    }
    if (c.verdict != Verdict::kPass && !c.reason.empty()) out += "  reason: " + c.reason + "\n";
    for (const std::string& line : c.lines) out += "    " + line + "\n";
  }
  out += "\n";
  out += "Backup jobs:\n";
  if (!r.jobs_skipped.empty()) {
    out += "  (" + r.jobs_skipped + ")\n";
  } else if (r.jobs.empty()) {
    out += "  (no backup jobs configured)\n";
  }
  for (const JobCheck& j : r.jobs) {
    out += std::string("  [") + VerdictName(j.verdict) + "] " + j.job + " (" + j.schedule + "): ";
    if (j.last_result.empty()) {
      out += "never ran";
    } else {
      out += "last run " + j.last_result + " at " + FormatUtc(j.last_run) + " UTC";
      if (j.last_success.sec != 0) {
        out +=
            ", last success " + FormatUtc(j.last_success) + " UTC (" + Age(r.date, j.last_success) + " ago)";
      }
    }
    if (j.verdict == Verdict::kFail && !j.last_result.empty()) out += "; " + j.reason;
    out += "\n";
  }
  return out;
}

std::string RenderReportJson(const ValidationReport& r) {
  nlohmann::json summary = nlohmann::json::array();
  for (const SummaryLine& l : r.Summary()) {
    summary.push_back({{"name", l.name}, {"result", VerdictName(l.verdict)}, {"reason", l.reason}});
  }
  nlohmann::json snaps = nlohmann::json::array();
  for (const SnapshotCheck& c : r.snapshots) {
    snaps.push_back({{"group", c.group},
                     {"job", c.job},
                     {"source", c.source},
                     {"kind", c.kind},
                     {"host", c.host},
                     {"repository", c.repository},
                     {"snapshot", c.snapshot},
                     {"snapshot_time", c.snapshot.empty() ? "" : FormatRfc3339(c.snapshot_time)},
                     {"age_seconds", c.snapshot.empty() ? 0 : r.date.sec - c.snapshot_time.sec},
                     {"result", VerdictName(c.verdict)},
                     {"reason", c.reason},
                     {"duration_seconds", c.seconds},
                     {"bytes", c.bytes},
                     {"files", c.files},
                     {"lines", c.lines}});
  }
  nlohmann::json jobs = nlohmann::json::array();
  for (const JobCheck& j : r.jobs) {
    jobs.push_back({{"job", j.job},
                    {"schedule", j.schedule},
                    {"result", VerdictName(j.verdict)},
                    {"reason", j.reason},
                    {"last_result", j.last_result},
                    {"last_run", j.last_run.sec ? FormatRfc3339(j.last_run) : ""},
                    {"last_success", j.last_success.sec ? FormatRfc3339(j.last_success) : ""}});
  }
  nlohmann::json out = {{"date", FormatRfc3339(r.date)},
                        {"namespace", r.ns},
                        {"passed", r.passed()},
                        {"summary", summary},
                        {"snapshots", snaps},
                        {"jobs", jobs},
                        {"jobs_skipped", r.jobs_skipped}};
  return out.dump(2) + "\n";
}

std::string RenderReportHtml(const ValidationReport& r) {
  auto badge = [](Verdict v) {
    return std::string("<span class=\"v ") + VerdictName(v) + "\">" + VerdictName(v) + "</span>";
  };
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<title>Backup Validation Report " + HtmlEscape(FormatUtc(r.date)) + "</title>\n";
  h += "<style>\n"
       "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}\n"
       "h1{margin-bottom:.2em}.meta{color:#555;margin-top:0}\n"
       "table{border-collapse:collapse;width:100%;margin:1em 0}\n"
       "th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #ddd;vertical-align:top}\n"
       "th{background:#f4f4f4}.v{font-weight:bold;padding:.1em .5em;border-radius:3px;color:#fff}\n"
       ".PASS{background:#2e7d32}.FAIL{background:#c62828}.SKIP{background:#757575}\n"
       ".overall{font-size:1.2em;margin:1em 0}pre{background:#f8f8f8;padding:.6em;overflow-x:auto;"
       "font-size:13px;margin:.3em 0}\n"
       "</style></head><body>\n";
  h += "<h1>Backup Validation Report</h1>\n";
  h += "<p class=\"meta\">Date: " + HtmlEscape(FormatUtc(r.date)) +
       " UTC &middot; Validation Namespace: " + HtmlEscape(r.ns) + "</p>\n";
  h += "<p class=\"overall\">Overall: " + badge(r.passed() ? Verdict::kPass : Verdict::kFail) + "</p>\n";
  h += "<h2>Summary</h2>\n<table><tr><th>Check</th><th>Result</th><th>Why</th></tr>\n";
  for (const SummaryLine& l : r.Summary()) {
    h += "<tr><td>" + HtmlEscape(l.name) + "</td><td>" + badge(l.verdict) + "</td><td>" +
         HtmlEscape(l.verdict == Verdict::kPass ? "" : l.reason) + "</td></tr>\n";
  }
  h += "</table>\n<h2>Restore tests</h2>\n";
  h += "<table><tr><th>Result</th><th>Group</th><th>Source</th><th>Snapshot</th><th>Age</th>"
       "<th>Restored</th><th>Duration</th></tr>\n";
  for (const SnapshotCheck& c : r.snapshots) {
    h += "<tr><td>" + badge(c.verdict) + "</td><td>" + HtmlEscape(c.group) + "</td><td>" +
         HtmlEscape(What(c)) + "<br><small>host " + HtmlEscape(c.host) + ", repository " +
         HtmlEscape(c.repository) + "</small></td><td>" + HtmlEscape(c.snapshot) + "</td><td>" +
         HtmlEscape(c.snapshot.empty() ? "" : Age(r.date, c.snapshot_time)) + "</td><td>" +
         HtmlEscape(c.snapshot.empty() ? "" : HumanBytes(c.bytes)) + "</td><td>" +
         HtmlEscape(c.snapshot.empty() ? "" : HumanDuration(c.seconds)) + "</td></tr>\n";
    std::string detail;
    if (c.verdict != Verdict::kPass && !c.reason.empty()) detail += "reason: " + c.reason + "\n";
    for (const std::string& line : c.lines) detail += line + "\n";
    if (!detail.empty())
      h += "<tr><td></td><td colspan=\"6\"><pre>" + HtmlEscape(detail) + "</pre></td></tr>\n";
  }
  h += "</table>\n<h2>Backup jobs</h2>\n";
  if (!r.jobs_skipped.empty()) {
    h += "<p>" + HtmlEscape(r.jobs_skipped) + "</p>\n";
  } else {
    h += "<table><tr><th>Result</th><th>Job</th><th>Schedule</th><th>Last run</th><th>Last success</th>"
         "<th>Why</th></tr>\n";
    for (const JobCheck& j : r.jobs) {
      h += "<tr><td>" + badge(j.verdict) + "</td><td>" + HtmlEscape(j.job) + "</td><td>" +
           HtmlEscape(j.schedule) + "</td><td>" +
           HtmlEscape(j.last_result.empty() ? "never" : j.last_result + " " + FormatUtc(j.last_run)) +
           "</td><td>" + HtmlEscape(j.last_success.sec ? FormatUtc(j.last_success) : "never") + "</td><td>" +
           HtmlEscape(j.verdict == Verdict::kFail ? j.reason : "") + "</td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "<p class=\"meta\">Made by lifeboat " LIFEBOAT_VERSION ".</p>\n</body></html>\n";
  return h;
}

}  // namespace lifeboat
