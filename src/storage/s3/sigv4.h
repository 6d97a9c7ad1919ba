// AWS Signature Version 4 for S3 requests, written from AWS's description
// ("Authenticating Requests: Using the Authorization Header") on OpenSSL's
// HMAC-SHA256. The payload hash is always sent in x-amz-content-sha256 (no
// aws-chunked streaming). Proven against AWS's published test-suite vectors
// in sigv4_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeboat {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SigningRequest {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // the path as sent, already URI-encoded ("/bucket/a%24b")
  HeaderList query;           // decoded names and values; encoded and sorted here
  HeaderList headers;         // every header to sign, "host" and "x-amz-date" included
  std::string payload_hash;   // lowercase hex SHA-256 of the body
};

struct SigningScope {
  std::string access_key_id;
  std::string_view secret_access_key;  // not owned; never copied into output
  std::string region;   // "us-east-1"
  std::string service;  // "s3"
  std::string amz_date; // "20150830T123600Z"
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters
// (A-Z a-z 0-9 - . _ ~) stay, everything else becomes %XX (upper case);
// "/" stays unless `encode_slash`.
std::string UriEncode(std::string_view s, bool encode_slash);

// The canonical query string: each name and value encoded, sorted by name
// then value, joined with '&'.
std::string CanonicalQueryString(const HeaderList& query);

// The canonical request (for tests and for messages when a server rejects a
// signature: it never contains the secret).
std::string CanonicalRequest(const SigningRequest& req, std::string* signed_headers);

// The value of the Authorization header.
std::string SignV4(const SigningRequest& req, const SigningScope& scope);

// "20150830T123600Z" for a Unix time.
std::string AmzDate(int64_t unix_seconds);

// Lowercase hex SHA-256 of data.
std::string Sha256Hex(std::string_view data);

}  // namespace lifeboat
