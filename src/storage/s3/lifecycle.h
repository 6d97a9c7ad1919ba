// The plan's storage tiering as an S3 lifecycle rule: data packs (and only
// they) move to colder classes with age — Standard → Standard-IA after 30
// days → Glacier after 90 — while the index, snapshot, key, lock and
// config files and the packs of tree blobs, which every listing, restore
// and check reads at once, stay where they are. Tree and data packs share
// data/, so the rule filters on the tag S3Storage puts on each pack
// (lifeboat-pack=data|tree) as well as the prefix. `lifeboat lifecycle apply|show` (docs/s3.md) writes and
// reads it with PutBucketLifecycleConfiguration / GetBucketLifecycleConfiguration; rules of others on the
// bucket are kept.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace lifeboat {

struct Transition {
  int days = 0;
  std::string storage_class;
};

struct Tag {
  std::string key, value;
};

struct LifecycleRule {
  std::string id;
  std::string prefix;     // the filter's prefix ("" with no filter: the whole bucket)
  std::vector<Tag> tags;  // the filter's tags: an object must carry all of them
  bool enabled = true;
  std::vector<Transition> transitions;
  int expiration_days = 0;
  std::string raw;  // the rule's XML as read
};

// The rule lifeboat writes for the repository under `prefix` (no slashes
// at either end; "" for a whole bucket): PREFIX/data/ and the tag
// lifeboat-pack=data. Its ID is "lifeboat-tiering-" and the data prefix,
// so each repository of a bucket has its own.
LifecycleRule TieringRule(const std::string& prefix, const std::vector<Transition>& transitions);

// Parses a GetBucketLifecycleConfiguration answer.
std::vector<LifecycleRule> ParseLifecycle(const std::string& xml);

// The configuration to PUT: `existing` rules with the same ID as `rule`
// replaced by it, the others kept as they were.
std::string LifecycleXml(const std::vector<LifecycleRule>& existing, const LifecycleRule& rule);

// Why a rule would hurt the repository under `prefix`, or "": one that
// expires any of its objects (an expired key loses the repository, an
// expired pack the snapshots that need it), or moves anything but data
// packs to colder storage (an index, snapshot or tree pack in Glacier
// makes every restore wait hours for it).
std::string RuleDanger(const LifecycleRule& rule, const std::string& prefix);

}  // namespace lifeboat
