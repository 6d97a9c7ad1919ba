#include "dr/record.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "verify/results.h"

namespace lifeboat {
namespace {

nlohmann::json Time(Timestamp t) { return FormatRfc3339(t); }

Timestamp ParseTime(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return {};
  auto t = ParseRfc3339(j[key].get<std::string>());
  return t ? *t : Timestamp{};
}

nlohmann::json Opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

std::optional<double> ParseOpt(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

}  // namespace

std::optional<double> DrRecord::rto_seconds() const {
  std::optional<double> worst;
  for (const DrServiceOutcome& s : services) {
    if (!s.rto_seconds) return std::nullopt;
    worst = std::max(worst.value_or(0), *s.rto_seconds);
  }
  return worst;
}

std::string DrRecordJson(const DrRecord& r) {
  nlohmann::json j = {{"kind", "dr"},
                      {"action", r.kind},
                      {"plan", r.plan},
                      {"host", r.host},
                      {"declared", Time(r.declared)},
                      {"finished", Time(r.finished)},
                      {"succeeded", r.succeeded},
                      {"switched", r.switched},
                      {"rto_objective", r.rto_objective},
                      {"rpo_objective", r.rpo_objective},
                      {"rto_seconds", Opt(r.rto_seconds())}};
  if (r.level != 0) j["level"] = r.level;
  if (!r.scenario.empty()) j["scenario"] = r.scenario;
  if (!r.error.empty()) j["error"] = r.error;
  j["timeline"] = nlohmann::json::array();
  for (const DrEvent& e : r.timeline) {
    nlohmann::json ev = {{"time", Time(e.time)}, {"what", e.what}};
    if (!e.service.empty()) ev["service"] = e.service;
    if (!e.detail.empty()) ev["detail"] = e.detail;
    j["timeline"].push_back(std::move(ev));
  }
  j["services"] = nlohmann::json::array();
  for (const DrServiceOutcome& s : r.services) {
    nlohmann::json o = {{"service", s.service},
                        {"type", s.type},
                        {"critical", s.critical},
                        {"recovered", s.recovered},
                        {"rto_objective", s.rto_objective},
                        {"rpo_objective", s.rpo_objective},
                        {"rto_seconds", Opt(s.rto_seconds)},
                        {"rpo_seconds", Opt(s.rpo_seconds)},
                        {"rto_met", s.rto_met()},
                        {"rpo_met", s.rpo_met()}};
    if (!s.snapshot.empty()) o["snapshot"] = s.snapshot;
    if (s.point.sec != 0) o["point"] = Time(s.point);
    if (!s.rpo_how.empty()) o["rpo_how"] = s.rpo_how;
    if (s.performance) o["performance"] = *s.performance;
    if (s.simulated_loss_seconds) o["simulated_loss_seconds"] = *s.simulated_loss_seconds;
    if (s.validated) o["validated"] = *s.validated;
    if (!s.validation.empty()) o["validation"] = s.validation;
    if (!s.error.empty()) o["error"] = s.error;
    if (!s.note.empty()) o["note"] = s.note;
    j["services"].push_back(std::move(o));
  }
  return j.dump();
}

Result<DrRecord> ParseDrRecord(std::string_view text) {
  DrRecord r;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    if (j.value("kind", "") != "dr") return Corrupt("not a DR record");
    r.kind = j.at("action").get<std::string>();
    r.plan = j.value("plan", "");
    r.host = j.value("host", "");
    r.declared = ParseTime(j, "declared");
    r.finished = ParseTime(j, "finished");
    r.succeeded = j.value("succeeded", false);
    r.switched = j.value("switched", false);
    r.rto_objective = j.value("rto_objective", 0.0);
    r.rpo_objective = j.value("rpo_objective", 0.0);
    r.level = j.value("level", 0);
    r.scenario = j.value("scenario", "");
    r.error = j.value("error", "");
    for (const auto& ev : j.value("timeline", nlohmann::json::array())) {
      r.timeline.push_back(
          {ParseTime(ev, "time"), ev.value("service", ""), ev.value("what", ""), ev.value("detail", "")});
    }
    for (const auto& o : j.value("services", nlohmann::json::array())) {
      DrServiceOutcome s;
      s.service = o.at("service").get<std::string>();
      s.type = o.value("type", "");
      s.critical = o.value("critical", false);
      s.recovered = o.value("recovered", false);
      s.rto_objective = o.value("rto_objective", 0.0);
      s.rpo_objective = o.value("rpo_objective", 0.0);
      s.rto_seconds = ParseOpt(o, "rto_seconds");
      s.rpo_seconds = ParseOpt(o, "rpo_seconds");
      s.snapshot = o.value("snapshot", "");
      s.point = ParseTime(o, "point");
      s.rpo_how = o.value("rpo_how", "");
      s.performance = ParseOpt(o, "performance");
      s.simulated_loss_seconds = ParseOpt(o, "simulated_loss_seconds");
      if (o.contains("validated") && o["validated"].is_boolean()) s.validated = o["validated"].get<bool>();
      s.validation = o.value("validation", "");
      s.error = o.value("error", "");
      s.note = o.value("note", "");
      r.services.push_back(std::move(s));
    }
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("malformed DR record: ") + e.what());
  }
  return r;
}

Result<Id> SaveDrRecord(Repository& repo, const DrRecord& record) {
  return repo.SaveUnpacked(FileType::kResult, DrRecordJson(record));
}

Result<std::vector<DrRecord>> LoadDrRecords(Repository& repo, WarningSink* warnings) {
  LB_ASSIGN_OR_RETURN(std::vector<Id> ids, repo.ListIds(FileType::kResult));
  std::vector<DrRecord> out;
  for (const Id& id : ids) {
    auto text = repo.LoadUnpacked(FileType::kResult, id);
    if (!text.ok()) {
      if (warnings != nullptr) warnings->Warn("result " + id.Short() + ": " + text.status().message());
      continue;
    }
    if (ResultKind(*text) != "dr") continue;  // a restore test's or a check's
    auto r = ParseDrRecord(*text);
    if (!r.ok()) {
      if (warnings != nullptr) warnings->Warn("DR record " + id.Short() + ": " + r.status().message());
      continue;
    }
    out.push_back(std::move(*r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const DrRecord& a, const DrRecord& b) { return a.declared < b.declared; });
  return out;
}

}  // namespace lifeboat
