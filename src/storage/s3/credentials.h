// Where the S3 driver finds its credentials and region, in the order the AWS
// CLI and SDKs use: environment variables; the shared credentials and config
// files (~/.aws/credentials, ~/.aws/config) for AWS_PROFILE; a web identity
// token exchanged with STS (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, as on
// EKS); the EC2 instance metadata service (IMDSv2).
// See docs/s3.md. The secret is held as a Secret and never printed.
#pragma once

#include <cstdint>
#include <string>

#include "base/secret.h"
#include "base/status.h"

namespace lifeboat {

struct AwsCredentials {
  std::string access_key_id;
  Secret secret_access_key;
  std::string session_token;
  std::string source;  // "environment", "shared credentials file ~/.aws/credentials [default]"
  int64_t expires_at = 0;  // Unix seconds for temporary credentials; 0: no expiry
};

// kInvalidArgument naming every place looked at when none has credentials.
Result<AwsCredentials> LoadAwsCredentials();

// The region from AWS_REGION, AWS_DEFAULT_REGION or the profile's "region"
// in the config file; empty if none.
std::string LoadAwsRegion();

// One value of an INI-style AWS file section ("default", "profile x"); for tests.
std::string IniValue(const std::string& text, const std::string& section, const std::string& key);

}  // namespace lifeboat
