#include "storage/s3/s3_storage.h"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>

#include "base/bytes.h"
#include "base/timefmt.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

namespace lifeboat {

std::string Base64Md5(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, md, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Trim(std::string_view s, char c) {
  while (!s.empty() && s.front() == c) s.remove_prefix(1);
  while (!s.empty() && s.back() == c) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Result<S3Options> ParseS3Url(std::string_view url, const std::map<std::string, std::string>& options) {
  std::string_view rest = url;
  if (rest.starts_with("s3:")) rest.remove_prefix(3);
  S3Options o;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    o.scheme = "http";
    rest.remove_prefix(7);
  }
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return InvalidArgument("repository " + std::string(url) + ": expected s3:[https://]HOST[:PORT]/BUCKET[/PREFIX]");
  }
  o.host = std::string(rest.substr(0, slash));
  std::string path = Trim(rest.substr(slash + 1), '/');
  size_t next = path.find('/');
  o.bucket = path.substr(0, next);
  if (next != std::string::npos) o.prefix = Trim(path.substr(next + 1), '/');
  if (o.bucket.size() < 3) {
    return InvalidArgument("repository " + std::string(url) + ": bucket name \"" + o.bucket +
                           "\" is too short (S3 bucket names have 3 to 63 characters)");
  }
  std::string region = LoadAwsRegion();
  if (!region.empty()) o.region = region;
  bool aws = o.host.find("amazonaws.com") != std::string::npos;
  o.path_style = !aws || o.bucket.find('.') != std::string::npos;
  if (const char* ca = std::getenv("AWS_CA_BUNDLE")) o.http.ca_file = ca;
  for (const auto& [k, v] : options) {
    if (!k.starts_with("s3.")) continue;
    std::string name = k.substr(3);
    if (name == "region") {
      o.region = v;
    } else if (name == "bucket-lookup") {
      if (v == "path") o.path_style = true;
      else if (v == "dns") o.path_style = false;
      else if (v != "auto") return InvalidArgument("option s3.bucket-lookup: want auto, dns or path, not \"" + v + "\"");
    } else if (name == "storage-class") {
      o.data_storage_class = v;
    } else if (name == "metadata-storage-class") {
      o.metadata_storage_class = v;
    } else if (name == "cold-restore-days") {
      char* end = nullptr;
      long days = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || days < 1 || days > 36500) {
        return InvalidArgument("option s3.cold-restore-days: want 1 to 36500 days, not \"" + v + "\"");
      }
      o.cold_restore_days = static_cast<int>(days);
    } else if (name == "cold-restore-tier") {
      if (v != "Expedited" && v != "Standard" && v != "Bulk") {
        return InvalidArgument("option s3.cold-restore-tier: want Expedited, Standard or Bulk, not \"" + v +
                               "\"");
      }
      o.cold_restore_tier = v;
    } else if (name == "cold-restore-poll-seconds" || name == "cold-restore-max-hours") {
      char* end = nullptr;
      double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(x > 0))
        return InvalidArgument("option " + k + ": want a positive number");
      (name == "cold-restore-poll-seconds" ? o.cold_restore_poll_seconds : o.cold_restore_max_hours) = x;
    } else if (name == "cold-restore-progress") {
      if (v != "true" && v != "false")
        return InvalidArgument("option s3.cold-restore-progress: want true or false, not \"" + v + "\"");
      o.cold_restore_progress = v == "true";
    } else if (name == "tag-packs") {
      if (v != "true" && v != "false")
        return InvalidArgument("option s3.tag-packs: want true or false, not \"" + v + "\"");
      o.tag_packs = v == "true";
    } else if (name == "sse") {
      if (v != "AES256" && v != "aws:kms" && !v.empty()) {
        return InvalidArgument("option s3.sse: want AES256 or aws:kms, not \"" + v + "\"");
      }
      o.sse = v;
    } else if (name == "sse-kms-key-id") {
      o.sse_kms_key_id = v;
    } else if (name == "object-lock-mode") {
      if (v != "GOVERNANCE" && v != "COMPLIANCE") {
        return InvalidArgument("option s3.object-lock-mode: want GOVERNANCE or COMPLIANCE, not \"" + v + "\"");
      }
      o.object_lock_mode = v;
    } else if (name == "object-lock-days") {
      o.object_lock_days = std::atoi(v.c_str());
      if (o.object_lock_days <= 0) return InvalidArgument("option s3.object-lock-days: want a positive number of days");
    } else if (name == "part-size-mib") {
      long mib = std::atol(v.c_str());
      if (mib < 5 || mib > 5120) return InvalidArgument("option s3.part-size-mib: want 5 to 5120");
      o.part_size = static_cast<size_t>(mib) << 20;
    } else if (name == "ca-file") {
      o.http.ca_file = v;
    } else {
      return InvalidArgument("unknown option " + k + " (docs/s3.md lists the S3 options)");
    }
  }
  if (!o.sse_kms_key_id.empty() && o.sse.empty()) o.sse = "aws:kms";
  if (!o.object_lock_mode.empty() && o.object_lock_days == 0) {
    return InvalidArgument("option s3.object-lock-mode needs s3.object-lock-days");
  }
  if (o.object_lock_days > 0 && o.object_lock_mode.empty()) o.object_lock_mode = "GOVERNANCE";
  return o;
}

S3Storage::S3Storage(S3Options options, AwsCredentials credentials)
    : options_(std::move(options)),
      credentials_(std::make_shared<const AwsCredentials>(std::move(credentials))),
      http_(options_.http) {}

std::shared_ptr<const AwsCredentials> S3Storage::Credentials() const {
  std::lock_guard<std::mutex> lock(credentials_mu_);
  if (credentials_->expires_at != 0 && Now().sec > credentials_->expires_at - 300) {
    auto fresh = LoadAwsCredentials();
    if (fresh.ok()) credentials_ = std::make_shared<const AwsCredentials>(std::move(*fresh));
    // On failure keep the old ones: the server's answer will say they expired.
  }
  return credentials_;
}

std::string S3Storage::Location() const {
  return "s3:" + options_.scheme + "://" + options_.host + "/" + options_.bucket +
         (options_.prefix.empty() ? "" : "/" + options_.prefix);
}

std::string S3Storage::DirPrefix(FileType type) const {
  std::string p = options_.prefix.empty() ? "" : options_.prefix + "/";
  if (type == FileType::kConfig) return p;
  return p + std::string(FileTypeDir(type)) + "/";
}

std::string S3Storage::Key(FileType type, std::string_view name) const {
  if (type == FileType::kConfig) return DirPrefix(type) + "config";
  if (type == FileType::kPack && name.size() >= 2) {
    return DirPrefix(type) + std::string(name.substr(0, 2)) + "/" + std::string(name);
  }
  return DirPrefix(type) + std::string(name);
}

Result<HttpResponse> S3Storage::Send(const Call& call) {
  std::string host = options_.path_style ? options_.host : options_.bucket + "." + options_.host;
  std::string uri = options_.path_style ? "/" + options_.bucket : "";
  if (!call.key.empty()) {
    uri += "/" + UriEncode(call.key, false);
  } else if (uri.empty()) {
    uri = "/";
  }
  SigningRequest sr;
  sr.method = call.method;
  sr.canonical_uri = uri;
  sr.query = call.query;
  sr.payload_hash = call.body.empty() ? kEmptySha256 : Sha256Hex(call.body);
  std::string amz_date = AmzDate(Now().sec);
  sr.headers = {{"host", host}, {"x-amz-date", amz_date}, {"x-amz-content-sha256", sr.payload_hash}};
  std::shared_ptr<const AwsCredentials> creds = Credentials();
  if (!creds->session_token.empty()) sr.headers.emplace_back("x-amz-security-token", creds->session_token);
  for (const auto& h : call.headers) sr.headers.push_back(h);
  SigningScope scope{creds->access_key_id, creds->secret_access_key.reveal(), options_.region, "s3",
                     amz_date};
  HttpRequest req;
  req.method = call.method;
  std::string query = CanonicalQueryString(call.query);
  req.url = options_.scheme + "://" + host + uri + (query.empty() ? "" : "?" + query);
  req.headers = sr.headers;
  req.headers.emplace_back("Authorization", SignV4(sr, scope));
  req.body = call.body;
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes_sent.fetch_add(call.body.size(), std::memory_order_relaxed);
  auto r = http_.Do(req);
  if (r.ok()) counters_.bytes_received.fetch_add(r->body.size(), std::memory_order_relaxed);
  return r;
}

Result<HttpResponse> S3Storage::Request(const std::string& method, const std::string& key,
                                        const HeaderList& query, std::string_view body,
                                        const HeaderList& headers) {
  Call call{method, "", query, headers, body};
  if (!key.empty()) call.key = options_.prefix.empty() ? key : options_.prefix + "/" + key;
  return Send(call);
}

Status S3Storage::ErrorOf(const std::string& method, const std::string& key, const HttpResponse& r) const {
  Call call{
      method, key.empty() ? "" : (options_.prefix.empty() ? key : options_.prefix + "/" + key), {}, {}, {}};
  return ErrorFor(call, r);
}

Status S3Storage::ErrorFor(const Call& call, const HttpResponse& r) const {
  std::string code = XmlFirst(r.body, "Code");
  std::string message = XmlFirst(r.body, "Message");
  std::string what = "s3 " + call.method + " " + options_.bucket + "/" + call.key + ": ";
  std::string detail = "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code) +
                       (message.empty() ? "" : " (" + message + ")");
  if (code == "NoSuchBucket") {
    return Status(Code::kNotRepository, "bucket " + options_.bucket + " does not exist at " + options_.host +
                                            " (" + detail + ")");
  }
  if (r.status == 404) return NotFound(what + "not found");
  if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch") {
    return Status(Code::kAccessDenied, what + "the server rejected the credentials (" + detail +
                                           "); check the access key and secret (from " + Credentials()->source + ")");
  }
  if (r.status == 403) {
    return Status(Code::kAccessDenied, what + "access denied (" + detail + "); the credentials (from " +
                                           Credentials()->source + ") lack a permission the repository needs");
  }
  if (r.status >= 500 || r.status == 429 || code == "SlowDown" || code == "RequestTimeout" ||
      code == "InternalError" || code == "ServiceUnavailable") {
    return Status(Code::kUnavailable, what + detail);
  }
  return IoError(what + detail);
}

HeaderList S3Storage::PutHeaders(FileType type, std::string_view data, PackContent content) const {
  HeaderList h = {{"Content-Type", "application/octet-stream"}};
  bool data_pack = type == FileType::kPack && content == PackContent::kData;
  const std::string& cls = data_pack ? options_.data_storage_class : options_.metadata_storage_class;
  if (!cls.empty() && type != FileType::kLock) h.emplace_back("x-amz-storage-class", cls);
  // The tiering rule of `lifecycle apply` moves objects with this tag only.
  if (type == FileType::kPack && options_.tag_packs) {
    h.emplace_back("x-amz-tagging",
                   std::string(kPackTagKey) + "=" + (data_pack ? kPackTagData : kPackTagTree));
  }
  if (!options_.sse.empty()) {
    h.emplace_back("x-amz-server-side-encryption", options_.sse);
    if (options_.sse == "aws:kms" && !options_.sse_kms_key_id.empty()) {
      h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options_.sse_kms_key_id);
    }
  }
  // Locks come and go; everything else may be kept immutable.
  if (!options_.object_lock_mode.empty() && type != FileType::kLock) {
    h.emplace_back("x-amz-object-lock-mode", options_.object_lock_mode);
    h.emplace_back("x-amz-object-lock-retain-until-date",
                   FormatRfc3339(Timestamp{Now().sec + int64_t{options_.object_lock_days} * 86400, 0}));
    if (data.size() <= options_.part_size) h.emplace_back("Content-MD5", Base64Md5(data));
  }
  return h;
}

Status S3Storage::Create() {
  Call head{"HEAD", "", {}, {}, {}};
  LB_ASSIGN_OR_RETURN(HttpResponse r, Send(head));
  if (r.status == 404) {
    std::string body;
    if (options_.region != "us-east-1") {
      body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>" +
             options_.region + "</LocationConstraint></CreateBucketConfiguration>";
    }
    Call put{"PUT", "", {}, {}, body};
    // Object Lock can only be had on a bucket made with it (which turns
    // versioning on): a repository that asks for retention gets one.
    if (!options_.object_lock_mode.empty())
      put.headers.emplace_back("x-amz-bucket-object-lock-enabled", "true");
    LB_ASSIGN_OR_RETURN(HttpResponse c, Send(put));
    if (c.status != 200 && XmlFirst(c.body, "Code") != "BucketAlreadyOwnedByYou") return ErrorFor(put, c);
  } else if (r.status != 200) {
    return ErrorFor(head, r);
  }
  auto size = Size(FileType::kConfig, "");
  if (size.ok()) {
    return AlreadyExists("repository " + Location() + " already exists (config file present)");
  }
  if (size.status().code() != Code::kNotFound) return size.status();
  return Status::Ok();
}

Status S3Storage::Save(FileType type, std::string_view name, std::string_view data) {
  return Put(type, name, data, PackContent::kData);
}

Status S3Storage::SavePack(std::string_view name, std::string_view data, PackContent content) {
  return Put(FileType::kPack, name, data, content);
}

Status S3Storage::Put(FileType type, std::string_view name, std::string_view data, PackContent content) {
  std::string key = Key(type, name);
  HeaderList headers = PutHeaders(type, data, content);
  if (data.size() > options_.part_size) return PutMultipart(key, headers, data);
  Call put{"PUT", key, {}, headers, data};
  LB_ASSIGN_OR_RETURN(HttpResponse r, Send(put));
  if (r.status != 200) return ErrorFor(put, r);
  return Status::Ok();
}

Status S3Storage::PutMultipart(const std::string& key, const HeaderList& headers, std::string_view data) {
  Call init{"POST", key, {{"uploads", ""}}, headers, {}};
  LB_ASSIGN_OR_RETURN(HttpResponse r, Send(init));
  if (r.status != 200) return ErrorFor(init, r);
  std::string upload_id = XmlFirst(r.body, "UploadId");
  if (upload_id.empty()) return IoError("s3 POST " + key + "?uploads: no UploadId in the response");
  auto abort = [&](Status s) {
    Call del{"DELETE", key, {{"uploadId", upload_id}}, {}, {}};
    (void)Send(del);  // best effort; a bucket lifecycle rule cleans up what this misses
    return s;
  };
  std::string complete = "<CompleteMultipartUpload>";
  int part = 1;
  for (size_t off = 0; off < data.size(); off += options_.part_size, ++part) {
    std::string_view chunk = data.substr(off, options_.part_size);
    HeaderList ph;
    if (!options_.object_lock_mode.empty()) ph.emplace_back("Content-MD5", Base64Md5(chunk));
    Call put{"PUT", key, {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}}, ph, chunk};
    auto pr = Send(put);
    if (!pr.ok()) return abort(pr.status());
    if (pr->status != 200) return abort(ErrorFor(put, *pr));
    std::string etag = pr->Header("etag");
    if (etag.empty()) return abort(IoError("s3 PUT " + key + " part " + std::to_string(part) + ": no ETag"));
    complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + etag + "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  Call done{"POST", key, {{"uploadId", upload_id}}, {{"Content-Type", "application/xml"}}, complete};
  auto cr = Send(done);
  if (!cr.ok()) return abort(cr.status());
  // S3 may answer 200 and still report an error in the body.
  if (cr->status != 200 || cr->body.find("<Error>") != std::string::npos) {
    HttpResponse failed = *cr;
    if (failed.status == 200) failed.status = 500;
    return abort(ErrorFor(done, failed));
  }
  return Status::Ok();
}

Result<std::string> S3Storage::Load(FileType type, std::string_view name, uint64_t offset, uint64_t length) {
  Call get{"GET", Key(type, name), {}, {}, {}};
  bool ranged = offset > 0 || length > 0;
  if (ranged) {
    get.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-" +
                                          (length > 0 ? std::to_string(offset + length - 1) : ""));
  }
  LB_ASSIGN_OR_RETURN(HttpResponse r, Send(get));
  if (r.status == 416) {
    return Corrupt(std::string(FileTypeName(type)) + " " + std::string(name) + ": shorter than the range asked for");
  }
  if (r.status == 403 && XmlFirst(r.body, "Code") == "InvalidObjectState") {
    // Archived: restored first when allowed (reads PrepareRead did not
    // announce, e.g. a tree pack a foreign lifecycle rule moved).
    LB_RETURN_IF_ERROR(Thaw({get.key}, std::string(FileTypeName(type)) + " " + std::string(name)));
    LB_ASSIGN_OR_RETURN(r, Send(get));
  }
  if (r.status != 200 && r.status != 206) return ErrorFor(get, r);
  std::string body = std::move(r.body);
  if (ranged && r.status == 200) {  // the server ignored the range
    if (offset > body.size()) body.clear();
    else body.erase(0, offset);
    if (length > 0 && body.size() > length) body.resize(length);
  } else if (ranged && length > 0 && body.size() > length) {
    // Some servers (s3rver for "bytes=0-0") send more than asked; keep the
    // range when Content-Range shows the body starts where we asked.
    std::string cr = r.Header("content-range");
    size_t sp = cr.find(' '), dash = cr.find('-');
    if (sp != std::string::npos && dash != std::string::npos &&
        std::strtoull(cr.substr(sp + 1, dash - sp - 1).c_str(), nullptr, 10) == offset) {
      body.resize(length);
    }
  }
  if (length > 0 && body.size() != length) {
    return Corrupt(std::string(FileTypeName(type)) + " " + std::string(name) + ": got " +
                   std::to_string(body.size()) + " bytes at offset " + std::to_string(offset) + ", wanted " +
                   std::to_string(length));
  }
  return body;
}

Result<uint64_t> S3Storage::Size(FileType type, std::string_view name) {
  Call head{"HEAD", Key(type, name), {}, {}, {}};
  LB_ASSIGN_OR_RETURN(HttpResponse r, Send(head));
  if (r.status == 404 && type == FileType::kConfig) {
    // No config: say whether the bucket itself is missing.
    Call bucket{"HEAD", "", {}, {}, {}};
    auto b = Send(bucket);
    if (b.ok() && b->status == 404) {
      return Status(Code::kNotRepository, "bucket " + options_.bucket + " does not exist at " + options_.host);
    }
  }
  if (r.status == 404) return NotFound(std::string(FileTypeName(type)) + " " + std::string(name) + " not found");
  if (r.status == 403) {
    // A HEAD answer has no body, so no error code: a wrong access key and a
    // missing permission look alike. A one-byte GET of the same object says
    // which.
    Call get{"GET", head.key, {}, {{"Range", "bytes=0-0"}}, {}};
    auto g = Send(get);
    if (g.ok() && g->status == 403) return ErrorFor(get, *g);
  }
  if (r.status != 200) return ErrorFor(head, r);
  std::string len = r.Header("content-length");
  if (len.empty()) return IoError("s3 HEAD " + head.key + ": no Content-Length");
  return static_cast<uint64_t>(std::strtoull(len.c_str(), nullptr, 10));
}

Status S3Storage::List(FileType type, const std::function<void(const ObjectInfo&)>& fn) {
  std::string prefix = DirPrefix(type);
  std::string token;
  while (true) {
    Call list{"GET", "", {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", "1000"}}, {}, {}};
    if (!token.empty()) list.query.emplace_back("continuation-token", token);
    LB_ASSIGN_OR_RETURN(HttpResponse r, Send(list));
    if (r.status != 200) return ErrorFor(list, r);
    for (std::string_view item : XmlAll(r.body, "Contents")) {
      std::string key = XmlFirst(item, "Key");
      if (type == FileType::kConfig) {
        if (key != prefix + "config") continue;
      }
      std::string name = key.substr(key.rfind('/') == std::string::npos ? 0 : key.rfind('/') + 1);
      if (name.empty()) continue;
      std::string storage_class = XmlFirst(item, "StorageClass");
      fn(ObjectInfo{name, std::strtoull(XmlFirst(item, "Size").c_str(), nullptr, 10),
                    storage_class.empty() ? "STANDARD" : storage_class});
    }
    if (XmlFirst(r.body, "IsTruncated") != "true") break;
    token = XmlFirst(r.body, "NextContinuationToken");
    if (token.empty()) return IoError("s3 list " + prefix + ": truncated listing without a continuation token");
  }
  return Status::Ok();
}

namespace {

bool ArchiveClass(const std::string& storage_class) {
  return storage_class == "GLACIER" || storage_class == "DEEP_ARCHIVE";
}

}  // namespace

Status S3Storage::PrepareRead(FileType type, const std::vector<std::string>& names) {
  if (names.empty()) return Status::Ok();
  std::set<std::string> wanted(names.begin(), names.end());
  std::vector<std::string> cold;
  {
    std::lock_guard<std::mutex> lock(archived_mu_);
    auto it = archived_.find(type);
    if (it == archived_.end()) {
      std::set<std::string> archived;
      LB_RETURN_IF_ERROR(List(type, [&](const ObjectInfo& o) {
        if (ArchiveClass(o.storage_class)) archived.insert(o.name);
      }));
      it = archived_.emplace(type, std::move(archived)).first;
    }
    for (const std::string& name : it->second) {
      if (wanted.count(name)) cold.push_back(Key(type, name));
    }
  }
  if (cold.empty()) return Status::Ok();
  return Thaw(cold, std::to_string(cold.size()) + " of the " + std::to_string(wanted.size()) + " " +
                        std::string(FileTypeName(type)) + "s to read");
}

Status S3Storage::Thaw(const std::vector<std::string>& keys, const std::string& what) {
  // Each object's state, from HEAD: an archived object lists its class
  // for ever; x-amz-restore says whether a readable copy is there.
  enum class State { kReadable, kRestoring, kArchived };
  auto state_of = [&](const std::string& key) -> Result<State> {
    Call head{"HEAD", key, {}, {}, {}};
    LB_ASSIGN_OR_RETURN(HttpResponse r, Send(head));
    if (r.status != 200) return ErrorFor(head, r);
    std::string restore = r.Header("x-amz-restore");
    if (restore.find("ongoing-request=\"true\"") != std::string::npos) return State::kRestoring;
    if (restore.find("ongoing-request=\"false\"") != std::string::npos) return State::kReadable;
    return ArchiveClass(r.Header("x-amz-storage-class")) ? State::kArchived : State::kReadable;
  };
  std::vector<std::string> waiting, archived;
  for (const std::string& key : keys) {
    LB_ASSIGN_OR_RETURN(State st, state_of(key));
    if (st == State::kArchived) archived.push_back(key);
    if (st != State::kReadable) waiting.push_back(key);
  }
  if (waiting.empty()) return Status::Ok();
  const std::string where = options_.bucket + "/" + waiting.front();
  if (options_.cold_restore_days == 0) {
    return Status(
        Code::kArchived,
        what + " in an archive tier (GLACIER or DEEP_ARCHIVE; " + std::to_string(waiting.size()) +
            " not readable, first " + where +
            "): give --cold-restore-days N to have S3 restore copies first (hours with the Standard "
            "tier; needs s3:RestoreObject)");
  }
  const std::string request = "<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Days>" +
                              std::to_string(options_.cold_restore_days) +
                              "</Days><GlacierJobParameters><Tier>" + options_.cold_restore_tier +
                              "</Tier></GlacierJobParameters></RestoreRequest>";
  for (const std::string& key : archived) {
    Call post{"POST", key, {{"restore", ""}}, {{"Content-MD5", Base64Md5(request)}}, request};
    LB_ASSIGN_OR_RETURN(HttpResponse r, Send(post));
    // 202: started; 200: a restored copy is already there; 409: under way.
    if (r.status != 202 && r.status != 200 && XmlFirst(r.body, "Code") != "RestoreAlreadyInProgress") {
      return ErrorFor(post, r).WithContext("restore from the archive tier");
    }
  }
  const size_t total = waiting.size();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double delay = options_.cold_restore_poll_seconds;
  if (options_.cold_restore_progress)
    std::fprintf(
        stderr,
        "lifeboat: S3 is restoring %zu object(s) from the archive tier (%s tier, copies kept %d days)\n",
        total, options_.cold_restore_tier.c_str(), options_.cold_restore_days);
  while (!waiting.empty()) {
    if (elapsed() > options_.cold_restore_max_hours * 3600) {
      return Status(Code::kArchived, what + ": " + std::to_string(waiting.size()) + " of " +
                                         std::to_string(total) + " still being restored by S3 after " +
                                         HumanDuration(elapsed()) + " (first " + where +
                                         "); run again later: the restores go on");
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    delay = std::min(delay * 2, 900.0);
    std::vector<std::string> still;
    for (const std::string& key : waiting) {
      LB_ASSIGN_OR_RETURN(State st, state_of(key));
      if (st != State::kReadable) still.push_back(key);
    }
    waiting = std::move(still);
    if (options_.cold_restore_progress)
      std::fprintf(stderr, "lifeboat: %zu of %zu restored from the archive tier (%s)\n",
                   total - waiting.size(), total, HumanDuration(elapsed()).c_str());
  }
  return Status::Ok();
}

Status S3Storage::Remove(FileType type, std::string_view name) {
  Call del{"DELETE", Key(type, name), {}, {}, {}};
  LB_ASSIGN_OR_RETURN(HttpResponse r, Send(del));
  if (r.status == 200 || r.status == 204 || r.status == 404) return Status::Ok();
  return ErrorFor(del, r);
}

}  // namespace lifeboat
