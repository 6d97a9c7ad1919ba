// gen_blobs: adds synthetic data blobs to a repository, for the index scale
// benchmark (bench/scale). Each blob is 32 bytes derived from SEED and its
// number, so every blob is distinct; they are stored, packed and indexed
// exactly as a backup stores blobs (Repository::SaveBlob), and the result is
// a valid repository that restic can open. No snapshot refers to them.
//
//   LIFEBOAT_PASSWORD=... gen_blobs REPO COUNT SEED
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/secret.h"
#include "repo/repository.h"
#include "storage/storage.h"

int main(int argc, char** argv) {
  using namespace lifeboat;
  const char* password = std::getenv("LIFEBOAT_PASSWORD");
  if (argc != 4 || password == nullptr) {
    std::fprintf(stderr, "usage: LIFEBOAT_PASSWORD=... gen_blobs REPO COUNT SEED\n");
    return 2;
  }
  long count = std::atol(argv[2]);
  unsigned long long seed = std::strtoull(argv[3], nullptr, 10);
  auto storage = OpenStorage(argv[1]);
  if (!storage.ok()) {
    std::fprintf(stderr, "gen_blobs: %s\n", storage.status().message().c_str());
    return 1;
  }
  auto repo = Repository::Open(std::move(*storage), Secret(password));
  if (!repo.ok()) {
    std::fprintf(stderr, "gen_blobs: %s\n", repo.status().message().c_str());
    return 1;
  }
  Status s = (*repo)->LoadIndex();
  long stored = 0;
  for (long i = 0; s.ok() && i < count; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx%015ld", seed, i);
    std::string_view blob(buf, 31);
    auto saved = (*repo)->SaveBlob(BlobType::kData, Id::Hash(blob), blob);
    if (!saved.ok()) {
      s = saved.status();
    } else if (*saved) {
      ++stored;
    }
  }
  if (s.ok()) s = (*repo)->Flush();
  if (!s.ok()) {
    std::fprintf(stderr, "gen_blobs: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("stored %ld new blobs; the index holds %zu blobs in %zu packs\n", stored,
              (*repo)->index().blob_count(), (*repo)->index().pack_count());
  return 0;
}
