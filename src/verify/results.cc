#include "verify/results.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace lifeboat {

std::string SourceKey(const std::string& kind, const Snapshot& snapshot) {
  std::vector<std::string> paths = snapshot.paths;
  std::sort(paths.begin(), paths.end());
  std::string out = kind + " " + snapshot.hostname + " ";
  for (size_t i = 0; i < paths.size(); ++i) out += (i ? "," : "") + paths[i];
  return out;
}

std::string RunResultJson(const RunResult& r) {
  nlohmann::json j = {{"kind", r.kind},
                      {"time", FormatRfc3339(r.time)},
                      {"host", r.host},
                      {"passed", r.passed},
                      {"seconds", r.seconds}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.kind == "verify") {
    j["snapshot"] = r.snapshot;
    j["source"] = r.source;
    j["test"] = r.test;
    if (!r.job.empty()) j["job"] = r.job;
    j["bytes"] = r.bytes;
    j["files"] = r.files;
    if (r.sample_groups > 0) j["sample"] = {{"group", r.sample_group}, {"groups", r.sample_groups}};
  } else {
    j["read_data"] = r.read_data;
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<RunResult> ParseRunResult(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Corrupt("not a JSON object");
  RunResult r;
  try {
    r.kind = j.at("kind").get<std::string>();
    auto t = ParseRfc3339(j.at("time").get<std::string>());
    if (!t) return Corrupt("time is not RFC 3339");
    r.time = *t;
    r.host = j.value("host", "");
    r.passed = j.at("passed").get<bool>();
    r.reason = j.value("reason", "");
    r.seconds = j.value("seconds", 0.0);
    r.snapshot = j.value("snapshot", "");
    r.source = j.value("source", "");
    r.test = j.value("test", "");
    r.job = j.value("job", "");
    r.bytes = j.value("bytes", uint64_t{0});
    r.files = j.value("files", uint64_t{0});
    if (j.contains("sample")) {
      r.sample_group = j["sample"].at("group").get<uint32_t>();
      r.sample_groups = j["sample"].at("groups").get<uint32_t>();
      if (r.sample_groups == 0 || r.sample_group >= r.sample_groups)
        return Corrupt("sample group out of range");
    }
    r.read_data = j.value("read_data", "");
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("malformed: ") + e.what());
  }
  if (r.kind != "verify" && r.kind != "check") return Corrupt("unknown kind \"" + r.kind + "\"");
  return r;
}

Result<Id> SaveResult(Repository& repo, const RunResult& result) {
  return repo.SaveUnpacked(FileType::kResult, RunResultJson(result));
}

std::string ResultKind(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string()) return "";
  return j["kind"].get<std::string>();
}

Result<std::vector<RunResult>> LoadResults(Repository& repo, WarningSink* warnings) {
  LB_ASSIGN_OR_RETURN(std::vector<Id> ids, repo.ListIds(FileType::kResult));
  std::vector<RunResult> out;
  for (const Id& id : ids) {
    auto text = repo.LoadUnpacked(FileType::kResult, id);
    if (text.ok() && ResultKind(*text) == "dr") continue;
    Result<RunResult> r = text.ok() ? ParseRunResult(*text) : Result<RunResult>(text.status());
    if (!r.ok()) {
      if (warnings != nullptr) warnings->Warn("result " + id.Short() + ": " + r.status().message());
      continue;
    }
    out.push_back(std::move(*r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const RunResult& a, const RunResult& b) { return a.time < b.time; });
  return out;
}

}  // namespace lifeboat
