// Where the S3 driver finds its credentials and region, in the order the AWS
// CLI and SDKs use: environment variables, then the shared credentials and
// config files (~/.aws/credentials, ~/.aws/config) for AWS_PROFILE.
// See docs/s3.md. The secret is held as a Secret and never printed.
#pragma once

#include <string>

#include "base/secret.h"
#include "base/status.h"

namespace lifeboat {

struct AwsCredentials {
  std::string access_key_id;
  Secret secret_access_key;
  std::string session_token;
  std::string source;  // "environment", "shared credentials file ~/.aws/credentials [default]"
};

// kInvalidArgument naming every place looked at when none has credentials.
Result<AwsCredentials> LoadAwsCredentials();

// The region from AWS_REGION, AWS_DEFAULT_REGION or the profile's "region"
// in the config file; empty if none.
std::string LoadAwsRegion();

// One value of an INI-style AWS file section ("default", "profile x"); for tests.
std::string IniValue(const std::string& text, const std::string& section, const std::string& key);

}  // namespace lifeboat
