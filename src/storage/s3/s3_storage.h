// S3Storage: a repository in an S3 bucket (AWS or any S3-compatible server),
// in restic's layout under a key prefix: config, keys/, locks/, snapshots/,
// index/, data/XX/. Requests are signed with Signature Version 4 (payload
// hash in x-amz-content-sha256), sent with libcurl over reused connections.
// Transient failures (connection errors, timeouts, 5xx, throttling) come back
// as kUnavailable for RetryingStorage to retry. See docs/s3.md.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "storage/s3/credentials.h"
#include "storage/s3/http.h"
#include "storage/storage.h"

namespace lifeboat {

struct S3Options {
  std::string scheme = "https";
  std::string host;    // host[:port]
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'
  std::string region = "us-east-1";
  bool path_style = true;  // https://host/bucket/key, else https://bucket.host/key
  std::string data_storage_class;      // for packs, e.g. STANDARD_IA
  std::string metadata_storage_class;  // for everything else
  std::string sse;                     // "", "AES256" or "aws:kms"
  std::string sse_kms_key_id;
  std::string object_lock_mode;  // "", "GOVERNANCE" or "COMPLIANCE"
  int object_lock_days = 0;
  bool tag_packs = true;  // x-amz-tagging lifeboat-pack=data|tree on packs (needs s3:PutObjectTagging)
  // Objects in GLACIER or DEEP_ARCHIVE cannot be read until S3 restores a
  // copy (RestoreObject). With days > 0 lifeboat asks for that and waits;
  // with 0 it stops with kArchived and says so.
  int cold_restore_days = 0;
  std::string cold_restore_tier = "Standard";  // Expedited, Standard or Bulk
  double cold_restore_poll_seconds = 60;       // first wait between checks; doubles up to 15 minutes
  double cold_restore_max_hours = 48;          // then stop with kArchived; the restores go on
  bool cold_restore_progress = true;           // a line on stderr as the restores finish (--quiet: false)
  size_t part_size = 64u << 20;  // objects larger than this use multipart upload
  HttpOptions http;
};

// Parses "s3:https://host[:port]/bucket[/prefix]", "s3:http://...",
// "s3:host/bucket[/prefix]" (https) and applies options ("s3.region",
// "s3.bucket-lookup", "s3.storage-class", "s3.metadata-storage-class",
// "s3.sse", "s3.sse-kms-key-id", "s3.object-lock-mode",
// "s3.object-lock-days", "s3.tag-packs", "s3.cold-restore-days",
// "s3.cold-restore-tier", "s3.cold-restore-poll-seconds",
// "s3.cold-restore-max-hours", "s3.part-size-mib", "s3.ca-file").
Result<S3Options> ParseS3Url(std::string_view url, const std::map<std::string, std::string>& options);

// The object tag of packs: lifeboat-pack=data or lifeboat-pack=tree.
inline constexpr char kPackTagKey[] = "lifeboat-pack";
inline constexpr char kPackTagData[] = "data";
inline constexpr char kPackTagTree[] = "tree";

// The Content-MD5 header's value for `data` (base64 of its MD5).
std::string Base64Md5(std::string_view data);

// Counters of requests made, for the per-run report.
struct S3Counters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_received{0};
};

class S3Storage final : public Storage {
 public:
  S3Storage(S3Options options, AwsCredentials credentials);

  std::string Location() const override;
  Status Create() override;
  Status Save(FileType type, std::string_view name, std::string_view data) override;
  Status SavePack(std::string_view name, std::string_view data, PackContent content) override;
  Status PrepareRead(FileType type, const std::vector<std::string>& names) override;
  Result<std::string> Load(FileType type, std::string_view name, uint64_t offset,
                           uint64_t length) override;
  Result<uint64_t> Size(FileType type, std::string_view name) override;
  Status List(FileType type, const std::function<void(const ObjectInfo&)>& fn) override;
  Status Remove(FileType type, std::string_view name) override;

  const S3Counters& counters() const { return counters_; }
  const S3Options& options() const { return options_; }

  // One signed request outside the repository's files, for `doctor` and
  // `lifecycle`: `key` is relative to the prefix ("" for the bucket
  // itself), `query` e.g. a bucket sub-resource {"versioning", ""} or a
  // listing's {"list-type", "2"}, {"prefix", ...}. The answer whatever
  // its status; an error only when no answer came (kUnavailable).
  Result<HttpResponse> Request(const std::string& method, const std::string& key, const HeaderList& query,
                               std::string_view body = {}, const HeaderList& headers = {});
  // Status of an error answer, naming the request (as the storage calls do).
  Status ErrorOf(const std::string& method, const std::string& key, const HttpResponse& r) const;

 private:
  struct Call {
    std::string method;
    std::string key;  // object key, or "" for the bucket
    HeaderList query;
    HeaderList headers;
    std::string_view body;
  };
  // Signs and sends one request. Transport failures are kUnavailable.
  Result<HttpResponse> Send(const Call& call);
  // Maps an error response to a Status naming the object.
  Status ErrorFor(const Call& call, const HttpResponse& r) const;
  std::string Key(FileType type, std::string_view name) const;
  std::string DirPrefix(FileType type) const;
  Status PutMultipart(const std::string& key, const HeaderList& headers, std::string_view data);
  HeaderList PutHeaders(FileType type, std::string_view data, PackContent content) const;
  Status Put(FileType type, std::string_view name, std::string_view data, PackContent content);
  // Archived objects (`keys` are full object keys): restored, and waited
  // for, when cold_restore_days allows it; else kArchived naming them.
  Status Thaw(const std::vector<std::string>& keys, const std::string& what);

  // The credentials; temporary ones are fetched again 5 minutes before they expire.
  std::shared_ptr<const AwsCredentials> Credentials() const;

  S3Options options_;
  mutable std::mutex credentials_mu_;
  mutable std::shared_ptr<const AwsCredentials> credentials_;
  HttpClient http_;
  S3Counters counters_;
  // PrepareRead's listing of each type's objects in an archive class, taken
  // once per process: copy asks for every snapshot, and a listing of data/
  // is one request per 1,000 packs. Classes change with lifecycle rules,
  // over days, not within a command.
  std::mutex archived_mu_;
  std::map<FileType, std::set<std::string>> archived_;
};

}  // namespace lifeboat
