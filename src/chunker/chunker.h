// Content-defined chunking with a Rabin fingerprint over a 64-byte window,
// bit-compatible with restic's chunker: for the same polynomial both cut the
// same data at the same places, so lifeboat and restic deduplicate against
// each other. Chunks are 512 KiB to 8 MiB, about 1 MiB on average.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lifeboat {

constexpr size_t kChunkMinSize = 512 * 1024;
constexpr size_t kChunkMaxSize = 8 * 1024 * 1024;

// Finds cut points in a byte stream fed in pieces. Not thread-safe; cheap to
// create (tables are cached per polynomial).
class Chunker {
 public:
  explicit Chunker(uint64_t polynomial, size_t min_size = kChunkMinSize,
                   size_t max_size = kChunkMaxSize);

  // Scans buf[0, len) as the continuation of the current chunk. Returns the
  // number of bytes of buf that complete the chunk (the cut is after them), or
  // kNoCut if the chunk goes on past the end of buf. After a cut the chunker
  // starts a new chunk with the byte after it.
  static constexpr size_t kNoCut = static_cast<size_t>(-1);
  size_t NextCut(const uint8_t* buf, size_t len);

  // Forgets the current chunk (for a new stream).
  void Reset();

 private:
  struct Tables {
    uint64_t out[256];
    uint64_t mod[256];
  };
  static const Tables* TablesFor(uint64_t polynomial);
  // The byte-at-a-time scan (restic's algorithm as written); exact for any
  // state. Scans buf[from, len).
  size_t ScanSequential(const uint8_t* buf, size_t from, size_t len);
  // Position of the first fingerprint with the split bits clear among
  // positions [from, to) of buf, or kNoCut. REQUIRES: from >= 64.
  size_t FindFirstHit(const uint8_t* buf, size_t from, size_t to) const;

  const Tables* tables_;
  int pol_shift_;
  size_t min_size_;
  size_t max_size_;
  uint64_t split_mask_ = (uint64_t(1) << 20) - 1;

  uint8_t window_[64];
  size_t wpos_;
  uint64_t digest_;
  size_t count_;  // bytes in the current chunk so far
  size_t skip_;   // bytes still to pass over before the window matters
};

}  // namespace lifeboat
