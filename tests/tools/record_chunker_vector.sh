#!/usr/bin/env bash
# Re-records the restic cut points used by src/chunker/chunker_test.cc: makes
# a repository with chunker polynomial 0x3da3358b4dc173, lets restic 0.14 back
# up TestData(24 MiB, seed 1) into it, and prints the data blob lengths in
# file order. Usage: record_chunker_vector.sh BUILD_DIR
set -euo pipefail
build=${1:?build dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/gen.cc" <<'CC'
#include <cstdio>
#include <string>
#include "repo/repository.h"
using namespace lifeboat;
int main() {
  std::string out(24 << 20, '\0');
  uint64_t x = 1;
  for (size_t i = 0; i < out.size(); i += 8) {
    x += 0x9e3779b97f4a7c15ull; uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; z = (z ^ (z >> 27)) * 0x94d049bb133111ebull; z ^= z >> 31;
    for (size_t k = 0; k < 8; ++k) out[i + k] = static_cast<char>(z >> (8 * k));
  }
  FILE* f = fopen("data.bin", "wb"); fwrite(out.data(), 1, out.size(), f); fclose(f);
  auto s = OpenStorage("repo");
  return Repository::Init(**s, Secret("pw"), KdfParams{1024, 8, 1}, 2, 0x3DA3358B4DC173ull).ok() ? 0 : 1;
}
CC
src=$(cd "$(dirname "$0")/../.." && pwd)/src
g++ -std=c++20 -I"$src" "$work/gen.cc" "$build/liblifeboat_core.a" -lcrypto -lzstd -o "$work/gen"
cd "$work" && ./gen
export RESTIC_PASSWORD=pw XDG_CACHE_HOME=$work/cache
restic -r repo backup -q data.bin
tree=$(restic -r repo snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["tree"])')
restic -r repo cat blob "$tree" > tree.json
for idx in repo/index/*; do restic -r repo cat index "$(basename "$idx")"; done > index.json
python3 - <<'PY'
import json
lengths = {}
for line in open("index.json").read().replace("}{", "}\n{").splitlines():
    for p in json.loads(line)["packs"]:
        for b in p["blobs"]:
            lengths[b["id"]] = b.get("uncompressed_length", b["length"] - 32)
node = json.load(open("tree.json"))["nodes"][0]
print(", ".join(str(lengths[c]) for c in node["content"]))
PY
