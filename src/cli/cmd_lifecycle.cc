// lifecycle show|apply: the plan's storage tiering on the repository's S3
// bucket (storage/s3/lifecycle.h): data packs to Standard-IA after 30 days
// and Glacier after 90, the repository's other files left in place.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "storage/s3/credentials.h"
#include "storage/s3/lifecycle.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/xml.h"

namespace lifeboat::cli {
namespace {

// "30", "30d" → 30; -1 for anything else.
int Days(const std::string& text) {
  std::string t = text;
  if (!t.empty() && t.back() == 'd') t.pop_back();
  char* end = nullptr;
  long v = std::strtol(t.c_str(), &end, 10);
  if (t.empty() || *end != '\0' || v < 1 || v > 36500) return -1;
  return static_cast<int>(v);
}

std::string Describe(const LifecycleRule& r) {
  std::string out = r.id + " (" + (r.enabled ? "enabled" : "disabled") + ", prefix \"" + r.prefix + "\"";
  for (const Tag& t : r.tags) out += ", tag " + t.key + "=" + t.value;
  out += ")";
  std::vector<Transition> by_age = r.transitions;  // S3 may answer them in any order
  std::sort(by_age.begin(), by_age.end(),
            [](const Transition& x, const Transition& y) { return x.days < y.days; });
  for (const Transition& t : by_age) {
    out += ": " + t.storage_class + " after " + std::to_string(t.days) + " days";
  }
  if (r.expiration_days > 0) out += ": expire after " + std::to_string(r.expiration_days) + " days";
  return out;
}

// The bucket's rules; none when it has no lifecycle configuration.
Result<std::vector<LifecycleRule>> ReadRules(S3Storage& s3) {
  LB_ASSIGN_OR_RETURN(HttpResponse r, s3.Request("GET", "", {{"lifecycle", ""}}));
  if (r.status == 404 && XmlFirst(r.body, "Code") == "NoSuchLifecycleConfiguration") {
    return std::vector<LifecycleRule>{};
  }
  if (r.status != 200) return s3.ErrorOf("GET", "", r).WithContext("lifecycle");
  return ParseLifecycle(r.body);
}

int RunLifecycle(Context& ctx) {
  const Args& a = ctx.args();
  if (a.positional().size() != 1 || (a.positional()[0] != "show" && a.positional()[0] != "apply")) {
    return Fail(ctx, InvalidArgument("usage: lifeboat lifecycle show|apply -r s3:..."));
  }
  const std::string url = ctx.RepoUrl();
  if (!url.starts_with("s3:")) {
    return Fail(ctx, InvalidArgument("lifecycle: repository " + (url.empty() ? std::string("(none)") : url) +
                                     " is not on S3: storage classes are an S3 feature"));
  }
  auto storage_options = ctx.Options();
  if (!storage_options.ok()) return Fail(ctx, storage_options.status());
  auto options = ParseS3Url(url, *storage_options);
  if (!options.ok()) return Fail(ctx, options.status());
  auto creds = LoadAwsCredentials();
  if (!creds.ok()) return Fail(ctx, creds.status());
  S3Storage s3(*options, std::move(*creds));
  auto rules = ReadRules(s3);
  if (!rules.ok()) return Fail(ctx, rules.status());

  std::vector<Transition> transitions;
  int ia = Days(a.Get("ia-after", "30")), archive = Days(a.Get("archive-after", "90"));
  if (ia < 0)
    return Fail(ctx, InvalidArgument("--ia-after takes days (30 or 30d), not \"" + a.Get("ia-after") + "\""));
  if (archive < 0) {
    return Fail(ctx, InvalidArgument("--archive-after takes days (90 or 90d), not \"" +
                                     a.Get("archive-after") + "\""));
  }
  if (archive <= ia && !a.Has("no-archive") && !a.Has("no-ia")) {
    return Fail(ctx, InvalidArgument("--archive-after must be later than --ia-after"));
  }
  if (!a.Has("no-ia")) transitions.push_back({ia, a.Get("ia-class", "STANDARD_IA")});
  if (!a.Has("no-archive")) transitions.push_back({archive, a.Get("archive-class", "GLACIER")});
  if (transitions.empty())
    return Fail(ctx, InvalidArgument("--no-ia and --no-archive leave nothing to apply"));
  LifecycleRule ours = TieringRule(options->prefix, transitions);

  if (a.positional()[0] == "show") {
    bool any = false;
    for (const LifecycleRule& r : *rules) {
      std::printf("%s %s\n", r.id == ours.id ? "*" : "-", Describe(r).c_str());
      if (std::string danger = RuleDanger(r, options->prefix); !danger.empty()) {
        std::printf("  warning: %s\n", danger.c_str());
      }
      any = any || r.id == ours.id;
    }
    if (rules->empty()) std::printf("bucket %s has no lifecycle rules\n", options->bucket.c_str());
    if (!any) std::printf("lifeboat's tiering rule is not applied: lifeboat lifecycle apply\n");
    return kExitOk;
  }
  for (const LifecycleRule& r : *rules) {
    if (r.id == ours.id) continue;
    if (std::string danger = RuleDanger(r, options->prefix); !danger.empty()) {
      std::fprintf(stderr, "warning: %s (kept: it is not lifeboat's)\n", danger.c_str());
    }
  }
  const std::string xml = LifecycleXml(*rules, ours);
  if (a.Has("dry-run")) {
    std::printf("%s\n", xml.c_str());
    return kExitOk;
  }
  auto put = s3.Request("PUT", "", {{"lifecycle", ""}}, xml, {{"Content-MD5", Base64Md5(xml)}});
  if (!put.ok()) return Fail(ctx, put.status().WithContext("lifecycle apply"));
  if (put->status != 200) return Fail(ctx, s3.ErrorOf("PUT", "", *put).WithContext("lifecycle apply"));
  auto after = ReadRules(s3);
  if (!after.ok()) return Fail(ctx, after.status());
  for (const LifecycleRule& r : *after) {
    if (r.id == ours.id) {
      if (!ctx.quiet()) std::printf("applied %s\n", Describe(r).c_str());
      return kExitOk;
    }
  }
  return Fail(ctx, IoError("lifecycle apply: the bucket accepted the rule but does not list it"));
}

}  // namespace

Command LifecycleCommand() {
  return {"lifecycle",
          "lifecycle show|apply [-r s3:...] [--ia-after DAYS] [--archive-after DAYS]",
          "S3 storage tiering: data packs to colder classes with age, never the index, snapshots or keys",
          {{"ia-after", 0, true, "days before data packs move to --ia-class (default 30)", "DAYS"},
           {"archive-after", 0, true, "days before they move to --archive-class (default 90)", "DAYS"},
           {"ia-class", 0, true, "the infrequent-access class (default STANDARD_IA)", "CLASS"},
           {"archive-class", 0, true, "the archive class (default GLACIER)", "CLASS"},
           {"no-ia", 0, false, "no infrequent-access step"},
           {"no-archive", 0, false, "no archive step"},
           {"dry-run", 0, false, "apply: print the configuration instead of writing it"}},
          RunLifecycle};
}

}  // namespace lifeboat::cli
