// zstd compression of blobs and of unpacked repository files.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace lifeboat {

// restic's "auto" compression mode uses zstd's default (level 3); so do we.
constexpr int kDefaultZstdLevel = 3;
// `--compression max`: zstd's highest level short of its "ultra" levels
// (slow; for data written once and kept long).
constexpr int kMaxZstdLevel = 19;
// The default bound on a decompressed frame: 1 GiB.
constexpr size_t kMaxZstdFrame = size_t(1) << 30;

std::string ZstdCompress(std::string_view data, int level = kDefaultZstdLevel);
// The most bytes compressing n bytes can produce.
size_t ZstdBound(size_t n);
// Compresses into out[0, capacity); returns the compressed size, or 0 if zstd
// failed or the output would not fit.
size_t ZstdCompressTo(std::string_view data, char* out, size_t capacity, int level = kDefaultZstdLevel);
// Decompresses one frame. `expected_size` (if non-zero) bounds the output and
// must match it. `max_size` bounds what any frame may expand to, declared or
// not, so a hostile frame (a few KiB that expand to terabytes, or a header
// declaring them) is refused before it is allocated. Returns kCorrupt for
// malformed input and for frames past the bound, naming both sizes.
Result<std::string> ZstdDecompress(std::string_view data, size_t expected_size = 0,
                                   size_t max_size = kMaxZstdFrame);

}  // namespace lifeboat
