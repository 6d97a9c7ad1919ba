// Reading a YAML file of lifeboat's (the config, the DR plan) so that every
// error names the file, the line and the dotted key:
// "lifeboat.yml:12: jobs.postgres.schedule: ...". Unknown keys are errors.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/timefmt.h"

namespace lifeboat {

// Walks the document with the file's name and the dotted key path, so that
// every error can say where it is.
class YamlReader {
 public:
  explicit YamlReader(std::string path) : path_(std::move(path)) {}

  Status Error(const YAML::Node& at, const std::string& key, const std::string& why) const {
    std::string line = at.Mark().line >= 0 ? ":" + std::to_string(at.Mark().line + 1) : "";
    return InvalidArgument(path_ + line + ": " + (key.empty() ? "" : key + ": ") + why);
  }

  // Calls fn(key, value) for each entry of a map; unknown keys are errors.
  Status Map(const YAML::Node& node, const std::string& where, const std::set<std::string>& known,
             const std::function<Status(const std::string&, const YAML::Node&)>& fn) const {
    if (!node.IsMap()) return Error(node, where, "want a map of keys to values");
    for (const auto& entry : node) {
      std::string key = entry.first.Scalar();
      std::string at = where.empty() ? key : where + "." + key;
      if (!known.empty() && known.count(key) == 0) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return Error(entry.first, at, "unknown key (known here: " + list + ")");
      }
      LB_RETURN_IF_ERROR(fn(at, entry.second));
    }
    return Status::Ok();
  }

  Result<std::string> String(const YAML::Node& v, const std::string& key) const {
    if (!v.IsScalar() || v.Scalar().empty()) return Error(v, key, "want a non-empty string");
    return v.Scalar();
  }

  Result<std::vector<std::string>> Strings(const YAML::Node& v, const std::string& key) const {
    std::vector<std::string> out;
    if (v.IsScalar()) {
      LB_ASSIGN_OR_RETURN(std::string one, String(v, key));
      out.push_back(std::move(one));
      return out;
    }
    if (!v.IsSequence()) return Error(v, key, "want a string or a list of strings");
    for (const auto& item : v) {
      LB_ASSIGN_OR_RETURN(std::string one, String(item, key));
      out.push_back(std::move(one));
    }
    return out;
  }

  Result<double> Duration(const YAML::Node& v, const std::string& key) const {
    std::optional<double> d = v.IsScalar() ? ParseDuration(v.Scalar()) : std::nullopt;
    if (!d) return Error(v, key, "want a duration such as 90s, 15m, 2h or 1d");
    return *d;
  }

  Result<int> Count(const YAML::Node& v, const std::string& key, int min) const {
    char* end = nullptr;
    std::string text = v.IsScalar() ? v.Scalar() : "";
    long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || n < min || n > 1000000) {
      return Error(v, key, "want a whole number of at least " + std::to_string(min));
    }
    return static_cast<int>(n);
  }

  // The document of `yaml`: kInvalidArgument naming the file (and the line)
  // when it is not YAML or is empty.
  Result<YAML::Node> Load(std::string_view yaml) const {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::ParserException& e) {
      return InvalidArgument(path_ + ":" + std::to_string(e.mark.line + 1) + ": not YAML: " + e.msg);
    } catch (const YAML::Exception& e) {
      return InvalidArgument(path_ + ": not YAML: " + e.what());
    }
    if (!root.IsDefined() || root.IsNull()) return InvalidArgument(path_ + ": the file is empty");
    return root;
  }

 private:
  std::string path_;
};

}  // namespace lifeboat
