#include "chunker/chunker.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "chunker/polynomial.h"

namespace lifeboat {
namespace {

constexpr size_t kWindowSize = 64;

uint64_t AppendByte(uint64_t hash, uint8_t b, uint64_t pol) {
  hash <<= 8;
  hash |= b;
  return PolMod(hash, pol);
}

}  // namespace

const Chunker::Tables* Chunker::TablesFor(uint64_t pol) {
  static std::mutex mu;
  static std::map<uint64_t, std::unique_ptr<Tables>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[pol];
  if (slot) return slot.get();
  auto t = std::make_unique<Tables>();
  // out[b] is the fingerprint of b followed by 63 zero bytes: XOR-ing it into
  // the digest removes b as it leaves the window.
  for (int b = 0; b < 256; ++b) {
    uint64_t h = AppendByte(0, static_cast<uint8_t>(b), pol);
    for (size_t i = 0; i < kWindowSize - 1; ++i) h = AppendByte(h, 0, pol);
    t->out[b] = h;
  }
  // mod[b] reduces the 8 bits that overflow above the degree in one XOR: it
  // holds (b * x^k mod pol) and b * x^k itself, which cancels those bits.
  int k = PolDegree(pol);
  for (int b = 0; b < 256; ++b) {
    t->mod[b] = PolMod(uint64_t(b) << k, pol) | (uint64_t(b) << k);
  }
  slot = std::move(t);
  return slot.get();
}

Chunker::Chunker(uint64_t polynomial, size_t min_size, size_t max_size)
    : tables_(TablesFor(polynomial)),
      pol_shift_(PolDegree(polynomial) - 8),
      min_size_(min_size),
      max_size_(max_size) {
  Reset();
}

void Chunker::Reset() {
  std::memset(window_, 0, sizeof window_);
  // Start from the fingerprint of a window holding a single 1 byte, exactly as
  // restic does, so the digests (and thus the cuts) are identical.
  window_[0] = 1;
  uint64_t d = tables_->out[0];
  uint64_t index = d >> pol_shift_;
  d = ((d << 8) | 1) ^ tables_->mod[index];
  digest_ = d;
  wpos_ = 1;
  count_ = 0;
  skip_ = min_size_ - kWindowSize;
}

size_t Chunker::NextCut(const uint8_t* buf, size_t len) {
  size_t start = 0;
  if (skip_ > 0) {
    if (skip_ >= len) {
      skip_ -= len;
      count_ += len;
      return kNoCut;
    }
    start = skip_;
    count_ += skip_;
    skip_ = 0;
  }
  const Tables& tab = *tables_;
  const int shift = pol_shift_;
  uint64_t digest = digest_;
  size_t wpos = wpos_;
  size_t count = count_;
  for (size_t i = start; i < len; ++i) {
    uint8_t b = buf[i];
    uint8_t out = window_[wpos];
    window_[wpos] = b;
    wpos = (wpos + 1) & (kWindowSize - 1);
    digest ^= tab.out[out];
    uint64_t index = digest >> shift;
    digest = ((digest << 8) | b) ^ tab.mod[index];
    ++count;
    if (((digest & split_mask_) == 0 && count >= min_size_) || count >= max_size_) {
      Reset();
      return i + 1;
    }
  }
  digest_ = digest;
  wpos_ = wpos;
  count_ = count;
  return kNoCut;
}

}  // namespace lifeboat
