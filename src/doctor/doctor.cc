#include "doctor/doctor.h"

#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "env/env.h"
#include "jobs/attempt.h"
#include "repo/lock.h"
#include "repo/repository.h"
#include "storage/s3/credentials.h"
#include "storage/s3/lifecycle.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/xml.h"
#include "verify/results.h"

namespace lifeboat {
namespace {

using Level = Diagnosis::Level;

void Add(DoctorReport* r, const std::string& area, Level level, std::string check, std::string detail,
         std::string fix = "") {
  r->checks.push_back(
      DoctorCheck{area, Diagnosis{level, std::move(check), std::move(detail), std::move(fix)}});
}

const char* LevelName(Level l) {
  switch (l) {
    case Level::kPass:
      return "PASS";
    case Level::kWarn:
      return "WARN";
    case Level::kFail:
      return "FAIL";
  }
  return "?";
}

// "Sun, 06 Dec 2026 19:40:00 GMT" → seconds since the epoch; 0 if unparsed.
int64_t ParseHttpDate(const std::string& text) {
  tm parts{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr) return 0;
  return static_cast<int64_t>(timegm(&parts));
}

// The name of the answer's root element ("ListBucketResult"), or "".
std::string RootElement(const std::string& xml) {
  size_t at = 0;
  while ((at = xml.find('<', at)) != std::string::npos) {
    if (at + 1 < xml.size() && xml[at + 1] != '?' && xml[at + 1] != '!') break;
    ++at;
  }
  if (at == std::string::npos) return "";
  size_t end = xml.find_first_of(" >/", at + 1);
  return xml.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
}

// One bucket setting read with GET ?NAME: PASS/WARN by what the answer
// holds. `element` is the answer's root; `missing` the error code S3 gives
// when the setting was never made.
struct BucketSetting {
  const char* subresource;
  const char* check;
  const char* element;
  const char* missing;
  const char* permission;
  const char* fix;
};

// The bucket's lifecycle rules against the repository: lifeboat's tiering
// rule in place, and no rule that moves or expires the files every command
// reads.
void CheckLifecycleRules(S3Storage& s3, const std::string& area, const std::string& body, DoctorReport* r) {
  const std::string& prefix = s3.options().prefix;
  const LifecycleRule ours = TieringRule(prefix, {});
  bool tiering = false;
  for (const LifecycleRule& rule : ParseLifecycle(body)) {
    if (rule.id == ours.id && rule.enabled) tiering = true;
    std::string danger = RuleDanger(rule, prefix);
    if (danger.empty()) continue;
    Add(r, area, rule.expiration_days > 0 ? Level::kFail : Level::kWarn, "s3 lifecycle", danger,
        "limit the rule to the prefix \"" + ours.prefix +
            "\" (aws s3api put-bucket-lifecycle-configuration), "
            "or remove it and run lifeboat lifecycle apply");
  }
  if (tiering) {
    Add(r, area, Level::kPass, "s3 lifecycle", "lifeboat's tiering rule " + ours.id + " is enabled");
  } else {
    Add(r, area, Level::kWarn, "s3 lifecycle",
        "no tiering rule for " + ours.prefix + " on bucket " + s3.options().bucket,
        "lifeboat lifecycle apply -r REPO (data packs to STANDARD_IA after 30 days, GLACIER after 90)");
  }
}

void CheckBucketSetting(S3Storage& s3, const std::string& area, const BucketSetting& b, DoctorReport* r) {
  auto answer = s3.Request("GET", "", {{b.subresource, ""}});
  if (!answer.ok()) {
    Add(r, area, Level::kWarn, b.check, "no answer: " + answer.status().message(), "run doctor again");
    return;
  }
  const std::string code = XmlFirst(answer->body, "Code");
  const std::string bucket = s3.options().bucket;
  if (answer->status == 200 && answer->body.find(std::string("<") + b.element) != std::string::npos) {
    const std::string& body = answer->body;
    std::string sub = b.subresource;
    if (sub == "encryption") {
      std::string kms = XmlFirst(body, "KMSMasterKeyID");
      Add(r, area, Level::kPass, b.check,
          "default encryption " + XmlFirst(body, "SSEAlgorithm") + (kms.empty() ? "" : " with key " + kms));
    } else if (sub == "versioning") {
      std::string status = XmlFirst(body, "Status");
      if (status == "Enabled") {
        Add(r, area, Level::kPass, b.check, "versioning enabled");
      } else {
        Add(r, area, Level::kWarn, b.check,
            "versioning is " + (status.empty() ? std::string("off") : status) +
                ": an overwritten or deleted object cannot be recovered",
            b.fix);
      }
    } else if (sub == "object-lock") {
      std::string enabled = XmlFirst(body, "ObjectLockEnabled"), mode = XmlFirst(body, "Mode");
      std::string days = XmlFirst(body, "Days");
      if (enabled == "Enabled") {
        Add(r, area, Level::kPass, b.check,
            "Object Lock enabled" +
                (mode.empty() ? std::string(", no default retention (lifeboat sets it per object with "
                                            "-o s3.object-lock-mode)")
                              : ", default " + mode + " " + days + " days"));
      } else {
        Add(r, area, Level::kWarn, b.check, "Object Lock is not enabled", b.fix);
      }
    } else {
      CheckLifecycleRules(s3, area, body, r);
    }
    return;
  }
  if (!code.empty() && code == b.missing) {
    Add(r, area, Level::kWarn, b.check, std::string("not configured on bucket ") + bucket + " (" + code + ")",
        b.fix);
  } else if (answer->status == 403) {
    Add(r, area, Level::kWarn, b.check,
        std::string("cannot read it: ") + s3.ErrorOf("GET", "", *answer).message(),
        std::string("allow ") + b.permission + " on arn:aws:s3:::" + bucket + " to let doctor see it");
  } else if (answer->status == 200 || answer->status == 501 || code == "NotImplemented") {
    Add(r, area, Level::kWarn, b.check,
        std::string("this S3 server does not implement GET ?") + b.subresource + " (it answered " +
            (code.empty()
                 ? "HTTP " + std::to_string(answer->status) +
                       (RootElement(answer->body).empty() ? "" : " <" + RootElement(answer->body) + ">")
                 : code) +
            ")",
        "use a server that does (AWS S3, Ceph radosgw, MinIO) for the plan's protections");
  } else {
    Add(r, area, Level::kWarn, b.check, s3.ErrorOf("GET", "", *answer).message(), b.fix);
  }
}

// The S3 side of a repository: credentials, the four permissions, the
// clock, and the bucket's protections. False when nothing more can be
// learnt (no credentials, no bucket, the endpoint unreachable).
bool CheckS3(const RepositorySpec& spec, const std::string& area, DoctorReport* r) {
  auto options = ParseS3Url(spec.url, spec.options);
  if (!options.ok()) {
    Add(r, area, Level::kFail, "s3 url", options.status().message(),
        "write it as s3:https://HOST/BUCKET/PREFIX");
    return false;
  }
  auto creds = LoadAwsCredentials();
  if (!creds.ok()) {
    Add(r, area, Level::kFail, "s3 credentials", creds.status().message(),
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or an instance role)");
    return false;
  }
  S3Storage s3(*options, std::move(*creds));
  const std::string bucket = options->bucket;
  const std::string where = "arn:aws:s3:::" + bucket + (options->prefix.empty() ? "" : "/" + options->prefix);
  const std::string key =
      "lifeboat-doctor/" + HostName() + "-" + std::to_string(getpid()) + "-" + std::to_string(Now().sec);
  const std::string body = "lifeboat doctor probe\n";
  // Tagged as packs are, so that a missing s3:PutObjectTagging shows here
  // and not in the middle of a backup.
  HeaderList probe_headers;
  if (options->tag_packs) probe_headers.emplace_back("x-amz-tagging", std::string(kPackTagKey) + "=probe");
  auto put = s3.Request("PUT", key, {}, body, probe_headers);
  if (!put.ok()) {
    Add(r, area, Level::kFail, "s3 endpoint", put.status().message(),
        "check the endpoint in the URL, the network, and https:// against http://");
    return false;
  }
  // The clock first: SigV4 refuses requests more than 15 minutes off.
  if (int64_t server = ParseHttpDate(put->Header("date")); server != 0) {
    int64_t skew = Now().sec - server;
    int64_t off = skew < 0 ? -skew : skew;
    std::string detail = "this host's clock is " + std::to_string(off) + " s " +
                         (skew < 0 ? "behind" : "ahead of") + " the server's";
    Level level = off > 900 ? Level::kFail : off > 60 ? Level::kWarn : Level::kPass;
    Add(r, area, level, "clock", detail,
        level == Level::kPass ? "" : "synchronise the clock (chrony, systemd-timesyncd)");
  }
  const std::string code = XmlFirst(put->body, "Code");
  if (put->status != 200) {
    Status err = s3.ErrorOf("PUT", key, *put);
    if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
        code == "InvalidToken" || code == "TokenRefreshRequired") {
      Add(r, area, Level::kFail, "s3 credentials", err.message(),
          "the server refuses this access key or secret: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
          "AWS_SESSION_TOKEN (or the profile)");
      return false;
    }
    if (code == "NoSuchBucket") {
      Add(r, area, Level::kFail, "s3 bucket", err.message(),
          "create bucket " + bucket + ", then lifeboat init");
      return false;
    }
    if (code == "RequestTimeTooSkewed") {
      Add(r, area, Level::kFail, "clock", err.message(), "synchronise the clock (chrony, systemd-timesyncd)");
      return false;
    }
    Add(r, area, Level::kFail, "s3 write", err.message(),
        "allow s3:PutObject" + std::string(options->tag_packs ? " and s3:PutObjectTagging" : "") + " on " +
            where + "/* (backup writes packs, indexes, snapshots, locks" +
            (options->tag_packs ? "; packs carry a tag, or set -o s3.tag-packs=false" : "") + ")");
  } else {
    Add(r, area, Level::kPass, "s3 credentials", "the server accepts the access key");
    Add(r, area, Level::kPass, "s3 write",
        "PutObject of a probe under " + key.substr(0, key.find('/')) + "/");
  }
  if (put->status == 200) {
    auto get = s3.Request("GET", key, {});
    if (get.ok() && get->status == 200 && get->body == body) {
      Add(r, area, Level::kPass, "s3 read", "GetObject returned the probe");
    } else {
      Add(r, area, Level::kFail, "s3 read",
          get.ok() ? s3.ErrorOf("GET", key, *get).message() : get.status().message(),
          "allow s3:GetObject on " + where + "/* (restores, checks and every backup read the repository)");
    }
  }
  const std::string full = options->prefix.empty() ? key : options->prefix + "/" + key;
  auto list = s3.Request("GET", "", {{"list-type", "2"}, {"prefix", full}});
  if (list.ok() && list->status == 200 &&
      (put->status != 200 || list->body.find(full) != std::string::npos)) {
    Add(r, area, Level::kPass, "s3 list", "ListObjectsV2 under the prefix");
  } else {
    Add(r, area, Level::kFail, "s3 list",
        list.ok() ? (list->status == 200 ? "the listing does not show the probe just written"
                                         : s3.ErrorOf("GET", "", *list).message())
                  : list.status().message(),
        "allow s3:ListBucket on arn:aws:s3:::" + bucket + " (every command lists snapshots, indexes, locks)");
  }
  if (put->status == 200) {
    auto del = s3.Request("DELETE", key, {});
    if (del.ok() && (del->status == 204 || del->status == 200)) {
      Add(r, area, Level::kPass, "s3 delete", "DeleteObject of the probe");
    } else {
      Add(r, area, Level::kFail, "s3 delete",
          (del.ok() ? s3.ErrorOf("DELETE", key, *del).message() : del.status().message()) + " (the probe " +
              key + " is left behind)",
          "allow s3:DeleteObject on " + where + "/* (locks, forget and prune delete)");
    }
  }
  const BucketSetting settings[] = {
      {"encryption", "s3 encryption", "ServerSideEncryptionConfiguration",
       "ServerSideEncryptionConfigurationNotFoundError", "s3:GetEncryptionConfiguration",
       "lifeboat encrypts every file (AES-256) before upload; for the plan's at-rest rule also set a default "
       "(aws s3api put-bucket-encryption) or -o s3.sse=aws:kms"},
      {"versioning", "s3 versioning", "VersioningConfiguration", "", "s3:GetBucketVersioning",
       "aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled"},
      {"object-lock", "s3 object lock", "ObjectLockConfiguration", "ObjectLockConfigurationNotFoundError",
       "s3:GetBucketObjectLockConfiguration",
       "a stolen key can delete every backup: use a bucket made with --object-lock-enabled-for-bucket and "
       "-o s3.object-lock-mode=GOVERNANCE -o s3.object-lock-days=N (docs/s3.md)"},
      {"lifecycle", "s3 lifecycle", "LifecycleConfiguration", "NoSuchLifecycleConfiguration",
       "s3:GetLifecycleConfiguration",
       "lifeboat lifecycle apply -r REPO: data packs to STANDARD_IA after 30 days and GLACIER after 90, as "
       "the "
       "plan does, never the index, snapshot, key or config files"},
  };
  for (const BucketSetting& b : settings) CheckBucketSetting(s3, area, b, r);
  return true;
}

Result<Secret> PasswordOf(const RepositorySpec& spec) { return ResolvePassword(spec); }

// Free space where restore tests of `job` put their scratch copy, against
// the size of its last snapshot.
void CheckScratchSpace(const Config& config, const ScheduledJob& job, RunHistory* history,
                       const std::string& area, DoctorReport* r) {
  std::string dir;
  if (const ScheduledJob* v = config.FindJob("verify-" + job.name)) {
    auto it = v->options.find("scratch_dir");
    if (it != v->options.end() && !it->second.empty()) dir = it->second.back();
  }
  if (dir.empty()) dir = std::filesystem::temp_directory_path().string();
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) {
    Add(r, area, Level::kFail, "scratch space", "cannot read " + dir + ": " + std::strerror(errno),
        "create it, or set jobs." + job.name + ".verify.options.scratch_dir");
    return;
  }
  uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  uint64_t need = 0;
  if (history != nullptr) {
    auto last = history->Last(job.name, "success");
    if (last.ok() && *last) {
      auto details = AttemptResult::FromJson((*last)->details);
      if (details.ok()) need = details->bytes_processed;
    }
  }
  std::string detail = HumanBytes(free_bytes) + " free in " + dir;
  if (need > 0) detail += " for a restore of about " + HumanBytes(need) + " (the last backup's size)";
  if (need > free_bytes) {
    Add(r, area, Level::kFail, "scratch space", detail,
        "free space in " + dir + " or set jobs." + job.name + ".verify.options.scratch_dir to a larger disk");
  } else {
    Add(r, area, Level::kPass, "scratch space", detail);
  }
}

// The DR copies of `job` as its last run left them.
void CheckCopyLag(const ScheduledJob& job, RunHistory* history, const std::string& area, DoctorReport* r) {
  if (job.copy_to.empty() || history == nullptr) return;
  auto runs = history->List(job.name, 20);
  if (!runs.ok()) return;
  for (const RunRecord& run : *runs) {
    if (!run.finished() || run.details.empty()) continue;
    auto details = AttemptResult::FromJson(run.details);
    if (!details.ok() || details->copies.empty()) continue;
    for (const CopyOutcome& c : details->copies) {
      if (!c.error.empty()) {
        Add(r, area, Level::kFail, "copy to " + c.to, "the last copy failed: " + c.error,
            "run lifeboat run " + job.name + " and read the error; lifeboat copy can catch up by hand");
      } else if (c.behind_since.sec != 0) {
        double lag = double(Now().sec - c.behind_since.sec);
        Add(r, area, lag > 25 * 3600 ? Level::kFail : Level::kWarn, "copy to " + c.to,
            c.to + " lacks snapshots since " + FormatRfc3339(c.behind_since) + " (" + HumanDuration(lag) +
                ")",
            "lifeboat copy --from-repo ... to catch up; check " + c.to + "'s reachability");
      } else {
        Add(r, area, Level::kPass, "copy to " + c.to, c.to + " holds every snapshot of the job");
      }
    }
    return;
  }
  Add(r, area, Level::kWarn, "copy", "no run of the job has copied yet", "run lifeboat run " + job.name);
}

void CheckSource(const ScheduledJob& job, const std::string& area, DoctorReport* r) {
  MapOptions options(job.options);
  if (const Driver* d = DriverForUrl(job.source)) {
    if (!d->diagnose) {
      Add(r, area, Level::kWarn, d->name, "the " + d->name + " driver has no checks", "");
      return;
    }
    for (Diagnosis& x : d->diagnose(job.source, options)) {
      x.check = d->name + " " + x.check;
      r->checks.push_back(DoctorCheck{area, std::move(x)});
    }
    return;
  }
  if (!UrlScheme(job.source).empty()) {
    Add(r, area, Level::kFail, "source", "no driver for " + UrlScheme(job.source) + "://",
        "the source schemes of this build: " + RegisteredSchemes());
    return;
  }
  if (access(job.source.c_str(), R_OK) != 0) {
    Add(r, area, Level::kFail, "files", job.source + ": " + std::strerror(errno),
        "create the path, or run lifeboat as a user who can read it");
  } else {
    Add(r, area, Level::kPass, "files", job.source + " is readable");
  }
}

}  // namespace

size_t DoctorReport::Count(Level level) const {
  size_t n = 0;
  for (const DoctorCheck& c : checks) n += c.result.level == level ? 1 : 0;
  return n;
}

std::string DoctorReport::Text() const {
  std::string out;
  for (const DoctorCheck& c : checks) {
    out += std::string(LevelName(c.result.level)) + "  " + c.area + ": " + c.result.check + ": " +
           c.result.detail + "\n";
    if (c.result.level != Level::kPass && !c.result.fix.empty()) out += "      fix: " + c.result.fix + "\n";
  }
  out += std::to_string(Count(Level::kPass)) + " passed, " + std::to_string(Count(Level::kWarn)) +
         " warnings, " + std::to_string(Count(Level::kFail)) + " failed\n";
  return out;
}

std::string DoctorReport::Json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const DoctorCheck& c : checks) {
    list.push_back({{"area", c.area},
                    {"check", c.result.check},
                    {"result", LevelName(c.result.level)},
                    {"detail", c.result.detail},
                    {"fix", c.result.fix}});
  }
  nlohmann::json j = {{"passed", passed()},
                      {"passes", Count(Level::kPass)},
                      {"warnings", Count(Level::kWarn)},
                      {"failures", Count(Level::kFail)},
                      {"checks", list}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// S3: how much of the repository sits in an archive tier. Data packs
// there are the plan's tiering at work (restores wait hours for them);
// anything else there makes every command wait, or fail.
void CheckArchiveTier(Storage& storage, const std::string& area, DoctorReport* r) {
  auto is_archive = [](const std::string& c) { return c == "GLACIER" || c == "DEEP_ARCHIVE"; };
  uint64_t packs = 0, cold = 0, cold_bytes = 0;
  Status listed = storage.List(FileType::kPack, [&](const ObjectInfo& o) {
    ++packs;
    if (is_archive(o.storage_class)) ++cold, cold_bytes += o.size;
  });
  std::string other;
  for (FileType t : {FileType::kIndex, FileType::kSnapshot, FileType::kKey}) {
    if (!listed.ok()) break;
    listed = storage.List(t, [&](const ObjectInfo& o) {
      if (other.empty() && is_archive(o.storage_class)) other = std::string(FileTypeName(t)) + " " + o.name;
    });
  }
  if (!listed.ok()) {
    Add(r, area, Level::kWarn, "archive tier", "cannot list the repository: " + listed.message(), "");
  } else if (!other.empty()) {
    Add(r, area, Level::kFail, "archive tier",
        other + " is in GLACIER or DEEP_ARCHIVE: every command must wait for S3 to restore it",
        "keep lifecycle rules to data packs (lifeboat lifecycle show); restore the object with "
        "s3:RestoreObject");
  } else if (cold == 0) {
    Add(r, area, Level::kPass, "archive tier", "no pack in GLACIER or DEEP_ARCHIVE");
  } else {
    Add(r, area, Level::kPass, "archive tier",
        std::to_string(cold) + " of " + std::to_string(packs) + " packs (" + HumanBytes(cold_bytes) +
            ") in GLACIER or DEEP_ARCHIVE; restores of them need --cold-restore-days (hours with the "
            "Standard tier)");
  }
}

// The newest `check` and `check --read-data` recorded in the repository
// (verify/results.h): a failed one FAILs; none, or none within a week (the
// structure) or five weeks (every byte), WARNs.
void CheckLastCheck(Repository& repo, const std::string& url, const std::string& area, Timestamp now,
                    DoctorReport* r) {
  auto results = LoadResults(repo, nullptr);
  if (!results.ok()) {
    Add(r, area, Level::kWarn, "last check",
        "cannot read the recorded results: " + results.status().message());
    return;
  }
  const RunResult* any = nullptr;
  const RunResult* full = nullptr;
  for (const RunResult& res : *results) {  // oldest first
    if (res.kind != "check") continue;
    any = &res;
    if (!res.read_data.empty()) full = &res;
  }
  const std::string fix =
      "lifeboat check -r " + url + " weekly and check --read-data monthly (or a schedule)";
  if (any == nullptr) {
    Add(r, area, Level::kWarn, "last check", "no check of this repository is recorded", fix);
    return;
  }
  auto age = [&](const RunResult* res) { return HumanDuration(double(now.sec - res->time.sec)) + " ago"; };
  std::string detail =
      "check " + age(any) + " (" + (any->passed ? "passed" : "failed") + ", on " + any->host + ")";
  detail += full == nullptr
                ? "; no check --read-data recorded"
                : "; check --read-data " + age(full) + " (" + (full->passed ? "passed" : "failed") + ")";
  if (!any->passed) {
    Add(r, area, Level::kFail, "last check", detail + ": " + any->reason,
        "lifeboat check -r " + url + " lists the errors; lifeboat repair index|snapshots mends what it can");
  } else if (full != nullptr && !full->passed) {
    Add(r, area, Level::kFail, "last check", detail + ": " + full->reason,
        "lifeboat check --read-data -r " + url + " names the damaged packs");
  } else if (now.sec - any->time.sec > 8 * 86400 || full == nullptr ||
             now.sec - full->time.sec > 35 * 86400) {
    Add(r, area, Level::kWarn, "last check", detail, fix);
  } else {
    Add(r, area, Level::kPass, "last check", detail);
  }
}

void CheckRepository(const RepositorySpec& spec, DoctorReport* r) {
  const std::string area = "repository " + spec.name;
  if (spec.url.starts_with("s3:") && !CheckS3(spec, area, r)) return;
  auto storage = OpenStorage(spec.url, spec.options);
  if (!storage.ok()) {
    Add(r, area, Level::kFail, "reachable", storage.status().message(), "correct the repository's url");
    return;
  }
  auto password = PasswordOf(spec);
  if (!password.ok()) {
    Add(r, area, Level::kFail, "password", password.status().message(),
        "create the password file (mode 0600) or set the variable the config names");
    return;
  }
  auto repo = Repository::Open(std::move(*storage), *password);
  if (!repo.ok()) {
    const Code c = repo.status().code();
    if (c == Code::kWrongPassword) {
      Add(r, area, Level::kPass, "reachable", spec.url + " holds a repository");
      Add(r, area, Level::kFail, "password", repo.status().message(),
          "the password opens no key of this repository: check the password source; lifeboat key list shows "
          "the "
          "keys");
    } else if (c == Code::kNotRepository) {
      Add(r, area, Level::kFail, "reachable", repo.status().message(),
          "lifeboat init -r " + spec.url + " (a new repository), or correct the url");
    } else {
      Add(r, area, Level::kFail, "reachable", repo.status().message(),
          c == Code::kAccessDenied ? "check the credentials and permissions (doctor's s3 lines)"
                                   : "check that the storage is mounted or the server reachable");
    }
    return;
  }
  Add(r, area, Level::kPass, "reachable",
      spec.url + " holds a repository (format version " + std::to_string((*repo)->config().version) + ")");
  Add(r, area, Level::kPass, "password", "the password opens a key");
  if (spec.url.starts_with("s3:")) CheckArchiveTier((*repo)->storage(), area, r);
  CheckLastCheck(**repo, spec.url, area, Now(), r);
  auto locks = LoadLocks(**repo);
  if (!locks.ok()) {
    Add(r, area, Level::kWarn, "locks", "cannot list the locks: " + locks.status().message(), "");
    return;
  }
  Timestamp now = Now();
  size_t stale = 0;
  std::string first;
  for (const LockInfo& l : *locks) {
    if (!l.IsStale(now)) continue;
    if (stale++ == 0) first = l.Describe();
  }
  if (stale > 0) {
    Add(r, area, Level::kWarn, "locks",
        std::to_string(stale) + " stale lock(s), such as " + first + " (ignored by lifeboat, not by restic)",
        "lifeboat unlock -r " + spec.url);
  } else {
    Add(r, area, Level::kPass, "locks",
        locks->empty() ? "no locks" : std::to_string(locks->size()) + " lock(s) held by live processes");
  }
}

void CheckConfig(const Config& config, RunHistory* history, DoctorReport* r) {
  for (const RepositorySpec& repo : config.repositories) CheckRepository(repo, r);
  for (const ScheduledJob& job : config.jobs) {
    if (job.kind != "backup") continue;
    const std::string area = "job " + job.name;
    CheckSource(job, area, r);
    CheckScratchSpace(config, job, history, area, r);
    CheckCopyLag(job, history, area, r);
  }
}

}  // namespace lifeboat
