#include "jobs/spec.h"

#include <cstdlib>

#include "env/env.h"

namespace lifeboat {
namespace {

// A password file or command's output: its first line, without the line
// end (restic reads --password-file the same way).
Secret FirstLine(std::string text) {
  size_t nl = text.find('\n');
  if (nl != std::string::npos) text.resize(nl);
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t')) text.pop_back();
  return Secret(std::move(text));
}

}  // namespace

Result<Secret> ResolvePassword(const RepositorySpec& repo) {
  const std::string where = "repository " + repo.name + ": ";
  Secret password;
  if (!repo.password_file.empty()) {
    auto text = ReadWholeFile(repo.password_file);
    if (!text.ok()) return InvalidArgument(where + "password_file: " + text.status().message());
    password = FirstLine(std::move(*text));
  } else if (!repo.password_env.empty()) {
    const char* value = std::getenv(repo.password_env.c_str());
    if (value == nullptr)
      return InvalidArgument(where + "password_env: $" + repo.password_env + " is not set");
    password = Secret(value);
  } else if (!repo.password_command.empty()) {
    auto out = RunCommandOutput(repo.password_command);
    if (!out.ok()) return InvalidArgument(where + "password_command: " + out.status().message());
    password = FirstLine(std::move(*out));
  } else {
    password = repo.password_inline;
  }
  if (password.empty()) return InvalidArgument(where + "the password is empty");
  return password;
}

bool MapOptions::Has(const std::string& key) const {
  auto it = options_.find(key);
  return it != options_.end() && !it->second.empty() && it->second.back() != "false";
}

std::string MapOptions::Get(const std::string& key, const std::string& fallback) const {
  auto it = options_.find(key);
  return it == options_.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> MapOptions::All(const std::string& key) const {
  auto it = options_.find(key);
  return it == options_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace lifeboat
