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
  size_t first = 0;
  if (skip_ > 0) {
    if (skip_ >= len) {
      skip_ -= len;
      count_ += len;
      return kNoCut;
    }
    first = skip_;
    count_ += skip_;
    skip_ = 0;
  }
  // Short pieces go byte by byte.
  if (len - first < 4 * kWindowSize) return ScanSequential(buf, first, len);

  // A fingerprint depends only on the last 64 bytes hashed. Positions before
  // the chunk reaches its minimum size cannot cut; from there on, lanes that
  // each start from 64 bytes of buf find the first cut (FindFirstHit). The
  // first 64 positions go byte by byte when they may cut, because their
  // windows reach back into earlier calls.
  const size_t count0 = count_;
  const size_t p_min = first + (count0 >= min_size_ ? 0 : min_size_ - count0 - 1);
  const size_t p_max = first + (max_size_ - count0 - 1);
  size_t from = first;
  if (p_min < first + kWindowSize) {
    size_t cut = ScanSequential(buf, first, first + kWindowSize);
    if (cut != kNoCut) return cut;
    from = first + kWindowSize;
  }
  from = std::max(from, p_min);
  size_t to = std::min(len, p_max + 1);
  if (from < to) {
    size_t hit = FindFirstHit(buf, from, to);
    if (hit != kNoCut) {
      Reset();
      return hit + 1;
    }
  }
  if (p_max < len) {
    Reset();
    return p_max + 1;
  }
  // No cut in buf. The state is the window of its last 64 bytes, all of
  // which belong to this chunk (len - first >= 256).
  count_ = count0 + (len - first);
  const Tables& tab = *tables_;
  uint64_t d = 0;
  for (size_t k = len - kWindowSize; k < len; ++k) {
    uint64_t index = d >> pol_shift_;
    d = ((d << 8) | buf[k]) ^ tab.mod[index];
  }
  digest_ = d;
  std::memcpy(window_, buf + len - kWindowSize, kWindowSize);
  wpos_ = 0;  // window_[wpos_] is the oldest byte
  return kNoCut;
}

size_t Chunker::ScanSequential(const uint8_t* buf, size_t from, size_t len) {
  const Tables& tab = *tables_;
  const int shift = pol_shift_;
  uint64_t digest = digest_;
  size_t wpos = wpos_;
  size_t count = count_;
  for (size_t i = from; i < len; ++i) {
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

size_t Chunker::FindFirstHit(const uint8_t* buf, size_t from, size_t to) const {
  const Tables& tab = *tables_;
  const int shift = pol_shift_;
  const uint64_t mask = split_mask_;
  constexpr size_t kLanes = 4;
  constexpr size_t kLaneBlock = 16 * 1024;
  // Fingerprint of buf[pos - 64, pos), as if hashed from an empty window.
  auto warm = [&](size_t pos) {
    uint64_t d = 0;
    for (size_t k = pos - kWindowSize; k < pos; ++k) {
      uint64_t index = d >> shift;
      d = ((d << 8) | buf[k]) ^ tab.mod[index];
    }
    return d;
  };
  auto step = [&](uint64_t d, size_t p) {
    d ^= tab.out[buf[p - kWindowSize]];
    uint64_t index = d >> shift;
    return ((d << 8) | buf[p]) ^ tab.mod[index];
  };
  for (size_t base = from; base < to; base += kLanes * kLaneBlock) {
    size_t end = std::min(to, base + kLanes * kLaneBlock);
    size_t lane_len = (end - base + kLanes - 1) / kLanes;
    size_t start[kLanes], stop[kLanes], hit[kLanes];
    uint64_t d[kLanes];
    for (size_t l = 0; l < kLanes; ++l) {
      start[l] = std::min(end, base + l * lane_len);
      stop[l] = std::min(end, start[l] + lane_len);
      hit[l] = kNoCut;
      d[l] = start[l] < stop[l] ? warm(start[l]) : 0;
    }
    // Four independent dependency chains side by side: the table lookups of
    // one hide the latency of the others.
    size_t common = stop[kLanes - 1] - start[kLanes - 1];
    for (size_t k = 0; k < common; ++k) {
      for (size_t l = 0; l < kLanes; ++l) {
        size_t p = start[l] + k;
        d[l] = step(d[l], p);
        if ((d[l] & mask) == 0 && hit[l] == kNoCut) hit[l] = p;
      }
    }
    for (size_t l = 0; l < kLanes; ++l) {
      for (size_t p = start[l] + common; p < stop[l] && hit[l] == kNoCut; ++p) {
        d[l] = step(d[l], p);
        if ((d[l] & mask) == 0) hit[l] = p;
      }
      if (hit[l] != kNoCut) return hit[l];  // lanes are in order: the first hit wins
    }
  }
  return kNoCut;
}

}  // namespace lifeboat
