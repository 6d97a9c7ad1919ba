// A local cache of what lifeboat derives from a repository and would
// otherwise read back from it: today a Redis full backup's key table, so
// that a delta need not read the full's whole RDB back (docs/redis.md).
// restic keeps a cache for the same reason. It lives in ROOT/<repository
// id>/, ROOT being --cache-dir, $LIFEBOAT_CACHE_DIR, $XDG_CACHE_HOME/lifeboat
// or ~/.cache/lifeboat, marked with a CACHEDIR.TAG so that backup tools
// skip it.
//
// Each file is sealed with the repository's master key (AES-256-CTR and
// Poly1305-AES, as repository files are), its name inside the plaintext: the
// cache shows nothing the repository would not, and a file that was changed,
// truncated or moved to another name is refused as kCorrupt. Losing the
// cache loses nothing: every user of it falls back to the repository.
// Written here because it is forty lines over the repository's own crypto.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crypto/crypto.h"

namespace lifeboat {

class LocalCache {
 public:
  // `dir`: ROOT/<repository id>. `key` must outlive the cache.
  LocalCache(std::string dir, const MasterKey& key) : dir_(std::move(dir)), key_(key) {}
  const std::string& dir() const { return dir_; }

  // Names are "FOLDER/FILE" of letters, digits, '.', '-' and '_'.
  // kNotFound if there is none; kCorrupt if it does not authenticate.
  Result<std::string> Get(const std::string& name) const;
  // Replaces `name` atomically (a temporary file, then rename).
  Status Put(const std::string& name, std::string_view data) const;
  // The names in FOLDER ("FOLDER/FILE"), sorted; none if it does not exist.
  Result<std::vector<std::string>> List(const std::string& folder) const;
  Status Remove(const std::string& name) const;

 private:
  Status CheckName(const std::string& name) const;
  std::string dir_;
  const MasterKey& key_;
};

// ROOT as the environment gives it; "" when there is no HOME either.
std::string DefaultCacheRoot();

}  // namespace lifeboat
