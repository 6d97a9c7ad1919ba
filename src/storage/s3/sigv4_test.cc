// The signer against AWS's published vectors: the Signature Version 4 test
// suite (aws-sig-v4-test-suite, credentials AKIDEXAMPLE, 2015-08-30, service
// "service") and the worked S3 examples of "Signature Calculations for the
// Authorization Header" (examplebucket, 2013-05-24).
#include "storage/s3/sigv4.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

constexpr char kEmptyHash[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigningScope SuiteScope() {
  return SigningScope{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service",
                      "20150830T123600Z"};
}

std::string SuiteAuth(const std::string& signed_headers, const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=" + signed_headers + ", Signature=" + signature;
}

SigningRequest SuiteGet(std::string uri, HeaderList query = {}, HeaderList extra = {}) {
  SigningRequest r{"GET", std::move(uri), std::move(query),
                   {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}, kEmptyHash};
  for (auto& h : extra) r.headers.push_back(h);
  return r;
}

struct SuiteCase {
  const char* name;
  SigningRequest request;
  const char* signed_headers;
  const char* signature;
};

TEST(SigV4, AwsTestSuite) {
  std::vector<SuiteCase> cases = {
      {"get-vanilla", SuiteGet("/"), "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-empty-query-key", SuiteGet("/", {{"Param1", "value1"}}), "host;x-amz-date",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-order-key-case", SuiteGet("/", {{"Param2", "value2"}, {"Param1", "value1"}}),
       "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-unreserved",
       SuiteGet("/", {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}}),
       "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-unreserved",
       SuiteGet(UriEncode("/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", false)),
       "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", SuiteGet(UriEncode("/\xe1\x88\xb4", false)), "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-space-unnormalized", SuiteGet(UriEncode("/example space/", false)), "host;x-amz-date",
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"get-header-value-trim",
       SuiteGet("/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}),
       "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-vanilla-with-session-token",
       SuiteGet("/", {},
                {{"X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"}}),
       "host;x-amz-date;x-amz-security-token", "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
  };
  SigningRequest sort = SuiteGet("/", {}, {{"My-Header1", "value1"}});
  sort.method = "POST";
  cases.push_back({"post-header-key-sort", sort, "host;my-header1;x-amz-date",
                   "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"});
  SigningRequest form = SuiteGet("/", {}, {{"Content-Type", "application/x-www-form-urlencoded"}});
  form.method = "POST";
  form.payload_hash = Sha256Hex("Param1=value1");
  cases.push_back({"post-x-www-form-urlencoded", form, "content-type;host;x-amz-date",
                   "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"});
  for (const SuiteCase& c : cases) {
    EXPECT_EQ(SignV4(c.request, SuiteScope()), SuiteAuth(c.signed_headers, c.signature)) << c.name;
  }
}

SigningScope S3DocScope() {
  return SigningScope{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3",
                      "20130524T000000Z"};
}

std::string SignatureOf(const std::string& auth) { return auth.substr(auth.find("Signature=") + 10); }

TEST(SigV4, S3DocumentationExamples) {
  const std::string host = "examplebucket.s3.amazonaws.com";
  // GET Object with a range.
  SigningRequest get{"GET", "/test.txt", {},
                     {{"Host", host}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", kEmptyHash},
                      {"x-amz-date", "20130524T000000Z"}},
                     kEmptyHash};
  std::string auth = SignV4(get, S3DocScope());
  EXPECT_NE(auth.find("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"), std::string::npos);
  EXPECT_EQ(SignatureOf(auth), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

  // PUT Object: a '$' in the key, a storage class, a signed payload.
  std::string body_hash = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(body_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  SigningRequest put{"PUT", "/" + UriEncode("test$file.text", false), {},
                     {{"Host", host}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                      {"x-amz-content-sha256", body_hash}, {"x-amz-date", "20130524T000000Z"},
                      {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                     body_hash};
  EXPECT_EQ(put.canonical_uri, "/test%24file.text");
  EXPECT_EQ(SignatureOf(SignV4(put, S3DocScope())),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");

  // GET Bucket Lifecycle: a query parameter without a value.
  SigningRequest lifecycle{"GET", "/", {{"lifecycle", ""}},
                           {{"Host", host}, {"x-amz-content-sha256", kEmptyHash}, {"x-amz-date", "20130524T000000Z"}},
                           kEmptyHash};
  EXPECT_EQ(SignatureOf(SignV4(lifecycle, S3DocScope())),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

  // GET Bucket (List Objects): parameters sorted.
  SigningRequest list = lifecycle;
  list.query = {{"prefix", "J"}, {"max-keys", "2"}};
  EXPECT_EQ(SignatureOf(SignV4(list, S3DocScope())),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, EncodingAndDates) {
  EXPECT_EQ(UriEncode("a b/c+d~e", false), "a%20b/c%2Bd~e");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b%2Fc");
  EXPECT_EQ(CanonicalQueryString({{"list-type", "2"}, {"continuation-token", "a/b="}, {"prefix", "data/"}}),
            "continuation-token=a%2Fb%3D&list-type=2&prefix=data%2F");
  EXPECT_EQ(AmzDate(1440938160), "20150830T123600Z");
}

TEST(SigV4, SecretNeverInTheHeader) {
  SigningScope scope = SuiteScope();
  std::string auth = SignV4(SuiteGet("/"), scope);
  EXPECT_EQ(auth.find(scope.secret_access_key), std::string::npos);
  EXPECT_EQ(CanonicalRequest(SuiteGet("/"), nullptr).find(scope.secret_access_key), std::string::npos);
}

}  // namespace
}  // namespace lifeboat
