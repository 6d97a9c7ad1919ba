// Path patterns for --exclude, --include and snapshot paths, with restic's
// meaning: a pattern is split at "/" and matched component by component with
// shell globbing (*, ?, [...]); "**" matches any number of components. A
// pattern that does not start with "/" may match at any depth. A pattern
// matches a path when it matches the path or one of its parent directories.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lifeboat {

class PathPattern {
 public:
  explicit PathPattern(std::string_view pattern);

  // True if the pattern matches `path` (absolute, "/"-separated) or a parent.
  bool Matches(std::string_view path) const;
  // True if some path below `dir` could match (for includes: descend).
  bool ChildMayMatch(std::string_view dir) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::string> parts_;  // with a leading "**" when unanchored
};

// Splits "/a/b/c" into {"a","b","c"}; empty parts and "." are dropped.
std::vector<std::string> SplitPath(std::string_view path);

}  // namespace lifeboat
