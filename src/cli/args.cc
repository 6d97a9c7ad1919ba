#include "cli/args.h"

namespace lifeboat::cli {

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return fallback;
  return it->second.back();
}

const std::vector<std::string>& Args::All(const std::string& name) const {
  static const std::vector<std::string> kEmpty;
  auto it = values_.find(name);
  return it == values_.end() ? kEmpty : it->second;
}

Result<Args> ParseArgs(const std::vector<std::string>& argv, const std::vector<FlagSpec>& flags) {
  Args args;
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positional || a.size() < 2 || a[0] != '-') {
      args.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    const FlagSpec* spec = nullptr;
    std::string inline_value;
    bool has_inline = false;
    if (a[1] == '-') {
      std::string name = a.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      for (const auto& f : flags) {
        if (f.name == name) spec = &f;
      }
      if (spec == nullptr) return InvalidArgument("unknown flag --" + name);
    } else {
      for (const auto& f : flags) {
        if (f.short_name != 0 && f.short_name == a[1]) spec = &f;
      }
      if (spec == nullptr) return InvalidArgument("unknown flag " + a.substr(0, 2));
      if (a.size() > 2) {
        inline_value = a.substr(a[2] == '=' ? 3 : 2);
        has_inline = true;
      }
    }
    if (!spec->takes_value && has_inline && a[1] != '-' && a[2] != '=') {
      // Short boolean flags run together: -vv, -qv.
      for (size_t k = 1; k < a.size(); ++k) {
        const FlagSpec* each = nullptr;
        for (const auto& f : flags) {
          if (f.short_name != 0 && f.short_name == a[k]) each = &f;
        }
        if (each == nullptr || each->takes_value) {
          return InvalidArgument("unknown flag -" + std::string(1, a[k]) + " in " + a);
        }
        args.values_[each->name].push_back("true");
      }
      continue;
    }
    if (!spec->takes_value) {
      if (has_inline) return InvalidArgument("flag --" + spec->name + " takes no value");
      args.values_[spec->name].push_back("true");
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= argv.size()) return InvalidArgument("flag --" + spec->name + " needs a value");
      inline_value = argv[++i];
    }
    args.values_[spec->name].push_back(inline_value);
  }
  return args;
}

std::string FlagHelp(const std::vector<FlagSpec>& flags) {
  std::string out;
  for (const auto& f : flags) {
    std::string left = "  ";
    left += f.short_name ? std::string("-") + f.short_name + ", " : "    ";
    left += "--" + f.name;
    if (f.takes_value) left += " " + f.value_name;
    if (left.size() < 34) left.resize(34, ' ');
    else left += "  ";
    out += left + f.help + "\n";
  }
  return out;
}

}  // namespace lifeboat::cli
