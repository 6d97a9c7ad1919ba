#include "metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace lifeboat::metrics {
namespace {

bool ValidName(const std::string& n, bool label) {
  if (n.empty()) return false;
  if (label && n.starts_with("__")) return false;  // reserved for Prometheus
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string EscapeHelp(const std::string& h) {
  std::string out;
  for (char c : h) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) out += (out.empty() ? "" : ",") + extra_name + "=\"" + extra_value + "\"";
  return out.empty() ? "" : "{" + out + "}";
}

}  // namespace

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

Status Registry::Define(const std::string& name, Type type, const std::string& help,
                        std::vector<std::string> label_names, std::vector<double> buckets) {
  if (!ValidName(name, false))
    return InvalidArgument("metric name \"" + name + "\" is not valid in Prometheus");
  for (const auto& l : label_names) {
    if (!ValidName(l, true) || (type == Type::kHistogram && l == "le")) {
      return InvalidArgument("metric " + name + ": label name \"" + l + "\" is not valid");
    }
  }
  for (size_t i = 1; i < buckets.size(); ++i) {
    if (!(buckets[i - 1] < buckets[i])) return InvalidArgument("metric " + name + ": buckets must ascend");
  }
  if (type == Type::kHistogram && buckets.empty()) return InvalidArgument("metric " + name + ": no buckets");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second.type != type || it->second.label_names != label_names || it->second.buckets != buckets) {
      return InvalidArgument("metric " + name + " is declared already with another type, labels or buckets");
    }
    return Status::Ok();
  }
  families_[name] = Family{type, help, std::move(label_names), std::move(buckets), {}};
  order_.push_back(name);
  return Status::Ok();
}

Result<Registry::Series*> Registry::Find(const std::string& name, const std::vector<std::string>& values,
                                         Type want) {
  auto it = families_.find(name);
  if (it == families_.end()) return InvalidArgument("metric " + name + " is not declared");
  Family& f = it->second;
  bool type_ok = f.type == want || (want == Type::kCounter && f.type == Type::kGauge);
  if (!type_ok) return InvalidArgument("metric " + name + " is a " + TypeName(f.type));
  if (values.size() != f.label_names.size()) {
    return InvalidArgument("metric " + name + " takes " + std::to_string(f.label_names.size()) +
                           " label values, not " + std::to_string(values.size()));
  }
  Series& s = f.series[values];
  if (f.type == Type::kHistogram && s.bucket_counts.empty()) s.bucket_counts.assign(f.buckets.size(), 0);
  return &s;
}

Status Registry::Set(const std::string& name, const std::vector<std::string>& values, double v) {
  std::lock_guard<std::mutex> lock(mu_);
  LB_ASSIGN_OR_RETURN(Series * s, Find(name, values, Type::kGauge));
  s->value = v;
  return Status::Ok();
}

Status Registry::Add(const std::string& name, const std::vector<std::string>& values, double v) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end() && it->second.type == Type::kCounter && v < 0) {
    return InvalidArgument("metric " + name + " is a counter: it cannot go down");
  }
  LB_ASSIGN_OR_RETURN(Series * s, Find(name, values, Type::kCounter));
  s->value += v;
  return Status::Ok();
}

Status Registry::Observe(const std::string& name, const std::vector<std::string>& values, double v) {
  std::lock_guard<std::mutex> lock(mu_);
  LB_ASSIGN_OR_RETURN(Series * s, Find(name, values, Type::kHistogram));
  const std::vector<double>& b = families_[name].buckets;
  for (size_t i = 0; i < b.size(); ++i) {
    if (v <= b[i]) {
      ++s->bucket_counts[i];
      break;
    }
  }
  s->sum += v;
  ++s->count;
  return Status::Ok();
}

void Registry::Remove(const std::string& name, const std::vector<std::string>& values) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.series.erase(values);
}

void Registry::RemoveWhere(const std::string& label, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, family] : families_) {
    const std::vector<std::string>& names = family.label_names;
    auto at = std::find(names.begin(), names.end(), label);
    if (at == names.end()) continue;
    const size_t i = size_t(at - names.begin());
    std::erase_if(family.series, [&](const auto& kv) { return kv.first[i] == value; });
  }
}

void Registry::Clear(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.series.clear();
}

bool Registry::Get(const std::string& name, const std::vector<std::string>& values, double* v) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type == Type::kHistogram) return false;
  auto s = it->second.series.find(values);
  if (s == it->second.series.end()) return false;
  *v = s->second.value;
  return true;
}

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const std::string& name : order_) {
    const Family& f = families_.at(name);
    out += "# HELP " + name + " " + EscapeHelp(f.help) + "\n";
    out += "# TYPE " + name + " " + TypeName(f.type) + "\n";
    for (const auto& [values, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out += name + LabelText(f.label_names, values) + " " + FormatValue(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += s.bucket_counts[i];
        out += name + "_bucket" + LabelText(f.label_names, values, "le", FormatValue(f.buckets[i])) + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + LabelText(f.label_names, values, "le", "+Inf") + " " +
             std::to_string(s.count) + "\n";
      out += name + "_sum" + LabelText(f.label_names, values) + " " + FormatValue(s.sum) + "\n";
      out += name + "_count" + LabelText(f.label_names, values) + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace lifeboat::metrics
