#include "storage/s3/lifecycle.h"

#include <cstdlib>

#include "storage/s3/s3_storage.h"
#include "storage/s3/xml.h"

namespace lifeboat {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string DataPrefix(const std::string& prefix) { return (prefix.empty() ? "" : prefix + "/") + "data/"; }

std::string RuleXml(const LifecycleRule& r) {
  std::string filter = "<Prefix>" + Escape(r.prefix) + "</Prefix>";
  for (const Tag& t : r.tags)
    filter += "<Tag><Key>" + Escape(t.key) + "</Key><Value>" + Escape(t.value) + "</Value></Tag>";
  if (!r.tags.empty()) filter = "<And>" + filter + "</And>";
  std::string x = "<Rule><ID>" + Escape(r.id) + "</ID><Filter>" + filter + "</Filter><Status>" +
                  (r.enabled ? "Enabled" : "Disabled") + "</Status>";
  for (const Transition& t : r.transitions) {
    x += "<Transition><Days>" + std::to_string(t.days) + "</Days><StorageClass>" + Escape(t.storage_class) +
         "</StorageClass></Transition>";
  }
  if (r.expiration_days > 0)
    x += "<Expiration><Days>" + std::to_string(r.expiration_days) + "</Days></Expiration>";
  return x + "</Rule>";
}

}  // namespace

LifecycleRule TieringRule(const std::string& prefix, const std::vector<Transition>& transitions) {
  LifecycleRule r;
  r.prefix = DataPrefix(prefix);
  r.id = "lifeboat-tiering-" + r.prefix;
  if (r.id.size() > 255) r.id.resize(255);
  r.tags = {{kPackTagKey, kPackTagData}};
  r.transitions = transitions;
  return r;
}

std::vector<LifecycleRule> ParseLifecycle(const std::string& xml) {
  std::vector<LifecycleRule> out;
  for (std::string_view raw : XmlAll(xml, "Rule")) {
    LifecycleRule r;
    r.raw = std::string(raw);
    r.id = XmlFirst(raw, "ID");
    // <Filter><Prefix>..</Prefix></Filter>, or the older <Prefix> of the rule.
    r.prefix = XmlFirst(raw, "Prefix");
    r.enabled = XmlFirst(raw, "Status") == "Enabled";
    for (std::string_view t : XmlAll(raw, "Tag"))
      r.tags.push_back({XmlFirst(t, "Key"), XmlFirst(t, "Value")});
    for (std::string_view t : XmlAll(raw, "Transition")) {
      r.transitions.push_back({std::atoi(XmlFirst(t, "Days").c_str()), XmlFirst(t, "StorageClass")});
    }
    for (std::string_view e : XmlAll(raw, "Expiration"))
      r.expiration_days = std::atoi(XmlFirst(e, "Days").c_str());
    out.push_back(std::move(r));
  }
  return out;
}

std::string LifecycleXml(const std::vector<LifecycleRule>& existing, const LifecycleRule& rule) {
  std::string x = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const LifecycleRule& r : existing) {
    if (r.id == rule.id) continue;
    x += r.raw.empty() ? RuleXml(r) : "<Rule>" + r.raw + "</Rule>";
  }
  return x + RuleXml(rule) + "</LifecycleConfiguration>";
}

std::string RuleDanger(const LifecycleRule& rule, const std::string& prefix) {
  if (!rule.enabled || (rule.transitions.empty() && rule.expiration_days == 0)) return "";
  const std::string repo = prefix.empty() ? "" : prefix + "/";
  // Does its prefix reach into the repository at all?
  if (!(rule.prefix.empty() || repo.starts_with(rule.prefix) || rule.prefix.starts_with(repo))) return "";
  // lifeboat tags packs alone, with lifeboat-pack=data or =tree: a rule
  // that wants another tag, or two values of ours, matches none of its
  // objects.
  std::string pack_tag;
  for (const Tag& t : rule.tags) {
    if (t.key != kPackTagKey || (t.value != kPackTagData && t.value != kPackTagTree)) return "";
    if (!pack_tag.empty() && pack_tag != t.value) return "";
    pack_tag = t.value;
  }
  const std::string where = "\"" + rule.prefix + "\"" +
                            (pack_tag.empty() ? "" : " tagged " + std::string(kPackTagKey) + "=" + pack_tag);
  if (rule.expiration_days > 0) {
    return "rule " + rule.id + " expires objects under " + where + " after " +
           std::to_string(rule.expiration_days) +
           " days: " + (pack_tag.empty() ? "keys, config, snapshots and packs" : "packs") +
           " would be deleted, and the snapshots that need them lost";
  }
  if (pack_tag == kPackTagData) return "";
  if (!pack_tag.empty() || rule.prefix.starts_with(repo + "data/")) {
    return "rule " + rule.id + " moves tree packs under " + where +
           " to colder storage, not only data packs: listing or restoring any snapshot would first wait for "
           "them "
           "(lifeboat's own rule moves only packs tagged " +
           kPackTagKey + "=" + kPackTagData + ")";
  }
  return "rule " + rule.id + " moves objects under " + where +
         " to colder storage, not only data packs: the index, snapshots and keys would need a restore "
         "from the archive before every command";
}

}  // namespace lifeboat
