#include "engine/pathmatch.h"

#include <fnmatch.h>

namespace lifeboat {
namespace {

bool MatchParts(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& path,
                size_t si, bool prefix_ok) {
  if (pi == pat.size()) return prefix_ok || si == path.size();
  if (pat[pi] == "**") {
    for (size_t k = si; k <= path.size(); ++k) {
      if (MatchParts(pat, pi + 1, path, k, prefix_ok)) return true;
    }
    return false;
  }
  if (si == path.size()) return false;
  if (fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
  return MatchParts(pat, pi + 1, path, si + 1, prefix_ok);
}

// True if `path` (a directory) is consistent with a prefix of `pat`.
bool PrefixCompatible(const std::vector<std::string>& pat, size_t pi,
                      const std::vector<std::string>& path, size_t si) {
  if (si == path.size()) return true;
  if (pi == pat.size()) return true;  // the pattern matched a parent already
  if (pat[pi] == "**") return true;
  if (fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
  return PrefixCompatible(pat, pi + 1, path, si + 1);
}

}  // namespace

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

PathPattern::PathPattern(std::string_view pattern) : text_(pattern) {
  bool anchored = !pattern.empty() && pattern[0] == '/';
  if (!anchored) parts_.push_back("**");
  for (auto& p : SplitPath(pattern)) parts_.push_back(std::move(p));
}

bool PathPattern::Matches(std::string_view path) const {
  return MatchParts(parts_, 0, SplitPath(path), 0, true);
}

bool PathPattern::ChildMayMatch(std::string_view dir) const {
  return PrefixCompatible(parts_, 0, SplitPath(dir), 0);
}

}  // namespace lifeboat
