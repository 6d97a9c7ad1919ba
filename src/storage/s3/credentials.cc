#include "storage/s3/credentials.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/timefmt.h"
#include "storage/s3/http.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

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

// Unix seconds of an RFC 3339 expiry; 0 (no expiry known) if malformed.
int64_t ExpiryOf(const std::string& s) {
  auto t = ParseRfc3339(s);
  return t ? t->sec : 0;
}

std::string Profile() {
  std::string p = Env("AWS_PROFILE");
  return p.empty() ? "default" : p;
}

// STS AssumeRoleWithWebIdentity: the token file's contents for temporary
// credentials of the role. The request is not signed (the token is the proof).
Result<AwsCredentials> FromWebIdentity(const std::string& token_file, const std::string& role_arn) {
  std::string token = ReadText(token_file);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) return InvalidArgument("AWS_WEB_IDENTITY_TOKEN_FILE " + token_file + " is empty or unreadable");
  std::string endpoint = Env("AWS_ENDPOINT_URL_STS");
  if (endpoint.empty()) {
    std::string region = LoadAwsRegion();
    endpoint = region.empty() || Env("AWS_STS_REGIONAL_ENDPOINTS") == "legacy"
                   ? "https://sts.amazonaws.com"
                   : "https://sts." + region + ".amazonaws.com";
  }
  std::string session = Env("AWS_ROLE_SESSION_NAME");
  if (session.empty()) session = "lifeboat-" + std::to_string(std::time(nullptr));
  HttpClient http(HttpOptions{Env("AWS_CA_BUNDLE"), 10, 30});
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint + "/";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/xml"}};
  std::string form = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + UriEncode(role_arn, true) +
                     "&RoleSessionName=" + UriEncode(session, true) + "&WebIdentityToken=" + UriEncode(token, true);
  req.body = form;
  LB_ASSIGN_OR_RETURN(HttpResponse r, http.Do(req));
  if (r.status != 200) {
    std::string code = XmlFirst(r.body, "Code"), message = XmlFirst(r.body, "Message");
    return Status(Code::kAccessDenied, "STS AssumeRoleWithWebIdentity for " + role_arn + " at " + endpoint +
                                           ": HTTP " + std::to_string(r.status) + " " + code +
                                           (message.empty() ? "" : " (" + message + ")"));
  }
  AwsCredentials c;
  c.access_key_id = XmlFirst(r.body, "AccessKeyId");
  c.secret_access_key = Secret(XmlFirst(r.body, "SecretAccessKey"));
  c.session_token = XmlFirst(r.body, "SessionToken");
  c.expires_at = ExpiryOf(XmlFirst(r.body, "Expiration"));
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return IoError("STS AssumeRoleWithWebIdentity at " + endpoint + ": no credentials in the answer");
  }
  c.source = "web identity (" + role_arn + ")";
  return c;
}

// IMDSv2: a session token, the instance role's name, then its credentials.
Result<AwsCredentials> FromInstanceMetadata() {
  std::string endpoint = Env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (endpoint.empty()) endpoint = "http://169.254.169.254";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  HttpClient http(HttpOptions{"", 1, 5});
  HttpRequest put{"PUT", endpoint + "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, {}};
  LB_ASSIGN_OR_RETURN(HttpResponse t, http.Do(put));
  if (t.status != 200 || t.body.empty()) return NotFound("instance metadata: no IMDSv2 token");
  HeaderList auth = {{"X-aws-ec2-metadata-token", t.body}};
  std::string base = endpoint + "/latest/meta-data/iam/security-credentials/";
  LB_ASSIGN_OR_RETURN(HttpResponse roles, http.Do(HttpRequest{"GET", base, auth, {}}));
  std::string role = roles.body.substr(0, roles.body.find('\n'));
  if (roles.status != 200 || role.empty()) return NotFound("instance metadata: no IAM role attached to the instance");
  LB_ASSIGN_OR_RETURN(HttpResponse cr, http.Do(HttpRequest{"GET", base + role, auth, {}}));
  auto j = nlohmann::json::parse(cr.body, nullptr, false);
  if (cr.status != 200 || !j.is_object() || !j.contains("AccessKeyId") || !j.contains("SecretAccessKey")) {
    return IoError("instance metadata: no credentials for role " + role);
  }
  AwsCredentials c;
  c.access_key_id = j.value("AccessKeyId", "");
  c.secret_access_key = Secret(j.value("SecretAccessKey", ""));
  c.session_token = j.value("Token", "");
  c.expires_at = ExpiryOf(j.value("Expiration", ""));
  c.source = "instance metadata (role " + role + ")";
  return c;
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
  std::string token_file = Env("AWS_WEB_IDENTITY_TOKEN_FILE"), role_arn = Env("AWS_ROLE_ARN");
  if (!token_file.empty() && !role_arn.empty()) return FromWebIdentity(token_file, role_arn);
  if (Env("AWS_EC2_METADATA_DISABLED") != "true") {
    auto imds = FromInstanceMetadata();
    if (imds.ok()) return imds;
  }
  return InvalidArgument(
      "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile \"" + profile +
      "\" in " + file + " (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE), or AWS_WEB_IDENTITY_TOKEN_FILE and "
      "AWS_ROLE_ARN; no instance metadata credentials either");
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
