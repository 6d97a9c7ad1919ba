#include "storage/s3/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lifeboat {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string Trimmed(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Home() { return Env("HOME"); }

std::string Profile() {
  std::string p = Env("AWS_PROFILE");
  return p.empty() ? "default" : p;
}

}  // namespace

std::string IniValue(const std::string& text, const std::string& section, const std::string& key) {
  std::istringstream in(text);
  std::string line, current;
  while (std::getline(in, line)) {
    line = Trimmed(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = Trimmed(line.substr(1, line.size() - 2));
      continue;
    }
    if (current != section) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    if (Trimmed(line.substr(0, eq)) == key) return Trimmed(line.substr(eq + 1));
  }
  return "";
}

Result<AwsCredentials> LoadAwsCredentials() {
  AwsCredentials c;
  c.access_key_id = Env("AWS_ACCESS_KEY_ID");
  std::string secret = Env("AWS_SECRET_ACCESS_KEY");
  if (!c.access_key_id.empty() && !secret.empty()) {
    c.secret_access_key = Secret(std::move(secret));
    c.session_token = Env("AWS_SESSION_TOKEN");
    c.source = "environment";
    return c;
  }
  std::string file = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty()) file = Home() + "/.aws/credentials";
  std::string text = ReadText(file);
  std::string profile = Profile();
  c.access_key_id = IniValue(text, profile, "aws_access_key_id");
  secret = IniValue(text, profile, "aws_secret_access_key");
  if (!c.access_key_id.empty() && !secret.empty()) {
    c.secret_access_key = Secret(std::move(secret));
    c.session_token = IniValue(text, profile, "aws_session_token");
    c.source = "shared credentials file " + file + " [" + profile + "]";
    return c;
  }
  return InvalidArgument(
      "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile \"" + profile +
      "\" in " + file + " (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE)");
}

std::string LoadAwsRegion() {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string v = Env(name);
    if (!v.empty()) return v;
  }
  std::string file = Env("AWS_CONFIG_FILE");
  if (file.empty()) file = Home() + "/.aws/config";
  std::string text = ReadText(file);
  std::string profile = Profile();
  std::string region = IniValue(text, profile == "default" ? "default" : "profile " + profile, "region");
  return region;
}

}  // namespace lifeboat
