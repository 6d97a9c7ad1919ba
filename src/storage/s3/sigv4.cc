#include "storage/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "base/bytes.h"
#include "crypto/sha256.h"

namespace lifeboat {
namespace {

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims the value and collapses runs of spaces to one, as SigV4 asks.
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string CanonicalQueryString(const HeaderList& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(UriEncode(k, true), UriEncode(v, true));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + '=' + v;
  }
  return out;
}

std::string CanonicalRequest(const SigningRequest& req, std::string* signed_headers) {
  // Lowercase names, sorted; values of repeated names joined with ','.
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [k, v] : req.headers) headers.emplace_back(Lower(k), CanonicalHeaderValue(v));
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers, names;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();  // the '\n'
      canonical_headers += ',' + headers[i].second + '\n';
      continue;
    }
    canonical_headers += headers[i].first + ':' + headers[i].second + '\n';
    if (!names.empty()) names += ';';
    names += headers[i].first;
  }
  if (signed_headers != nullptr) *signed_headers = names;
  return req.method + '\n' + (req.canonical_uri.empty() ? "/" : req.canonical_uri) + '\n' +
         CanonicalQueryString(req.query) + '\n' + canonical_headers + '\n' + names + '\n' +
         req.payload_hash;
}

std::string SignV4(const SigningRequest& req, const SigningScope& scope) {
  std::string signed_headers;
  std::string canonical = CanonicalRequest(req, &signed_headers);
  std::string date = scope.amz_date.substr(0, 8);
  std::string credential_scope = date + '/' + scope.region + '/' + scope.service + "/aws4_request";
  std::string string_to_sign =
      "AWS4-HMAC-SHA256\n" + scope.amz_date + '\n' + credential_scope + '\n' + Sha256Hex(canonical);
  std::string key = HmacSha256("AWS4" + std::string(scope.secret_access_key), date);
  key = HmacSha256(key, scope.region);
  key = HmacSha256(key, scope.service);
  key = HmacSha256(key, "aws4_request");
  std::string signature = HexEncode(HmacSha256(key, string_to_sign));
  std::fill(key.begin(), key.end(), '\0');
  return "AWS4-HMAC-SHA256 Credential=" + scope.access_key_id + '/' + credential_scope +
         ", SignedHeaders=" + signed_headers + ", Signature=" + signature;
}

std::string AmzDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

}  // namespace lifeboat
