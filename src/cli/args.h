// Command-line parsing with restic's shape: `lifeboat [global flags] COMMAND
// [flags] [args]`, where global flags may also follow the command.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace lifeboat::cli {

struct FlagSpec {
  std::string name;     // long name without dashes
  char short_name = 0;  // 0: none
  bool takes_value = false;
  std::string help;
  std::string value_name = "VALUE";
};

class Args {
 public:
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  // The last value given, or `fallback`.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  const std::vector<std::string>& All(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// Parses argv[begin..] against the given flags. Unknown flags are errors.
Result<Args> ParseArgs(const std::vector<std::string>& argv, const std::vector<FlagSpec>& flags);

// Formats flag help lines.
std::string FlagHelp(const std::vector<FlagSpec>& flags);

}  // namespace lifeboat::cli
