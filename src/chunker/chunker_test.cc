#include "chunker/chunker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "chunker/polynomial.h"
#include "crypto/sha256.h"

namespace lifeboat {
namespace {

// restic/chunker's test polynomial.
constexpr uint64_t kTestPol = 0x3DA3358B4DC173;

// Deterministic test data: SplitMix64 output, little-endian.
std::string TestData(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  uint64_t x = seed;
  for (size_t i = 0; i < size; i += 8) {
    x += 0x9e3779b97f4a7c15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (size_t k = 0; k < 8 && i + k < size; ++k) out[i + k] = static_cast<char>(z >> (8 * k));
  }
  return out;
}

// Splits data, feeding the chunker in pieces of `step` bytes.
std::vector<size_t> Split(uint64_t pol, const std::string& data, size_t step) {
  Chunker c(pol);
  std::vector<size_t> lengths;
  size_t current = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t n = std::min(step, data.size() - pos);
    const auto* p = reinterpret_cast<const uint8_t*>(data.data() + pos);
    size_t cut = c.NextCut(p, n);
    if (cut == Chunker::kNoCut) {
      current += n;
      pos += n;
    } else {
      lengths.push_back(current + cut);
      current = 0;
      pos += cut;
    }
  }
  if (current) lengths.push_back(current);
  return lengths;
}

TEST(Polynomial, Arithmetic) {
  EXPECT_EQ(PolDegree(0), -1);
  EXPECT_EQ(PolDegree(1), 0);
  EXPECT_EQ(PolDegree(kTestPol), 53);
  EXPECT_EQ(PolMod(0b1011, 0b11), 0b1u);  // x^3+x+1 mod x+1 = 1
  EXPECT_TRUE(PolIrreducible(kTestPol));
  EXPECT_FALSE(PolIrreducible(0b101));  // x^2+1 = (x+1)^2
  uint64_t p = RandomPolynomial();
  EXPECT_EQ(PolDegree(p), 53);
  EXPECT_TRUE(PolIrreducible(p));
}

// restic/chunker's "chunks2" vector: zeros cut at exactly MinSize, each
// chunk with the same digest.
TEST(Chunker, ZerosSplitAtMinSize) {
  std::string zeros(4 * kChunkMinSize, '\0');
  auto lengths = Split(kTestPol, zeros, 1 << 20);
  ASSERT_EQ(lengths.size(), 4u);
  for (size_t l : lengths) EXPECT_EQ(l, kChunkMinSize);
  EXPECT_EQ(HexEncode(Sha256(zeros.substr(0, kChunkMinSize))),
            "07854d2fef297a06ba81685e660c332de36d5d18d546927d30daad6d7fda1541");
}

// Cut points recorded from restic 0.14 itself: `restic backup` of
// TestData(24 MiB, seed 1) into a repository whose chunker_polynomial is
// 0x3da3358b4dc173; the lengths are those of the data blobs in restic's
// index, in file order (re-recorded with tests/tools/record_chunker_vector.sh).
TEST(Chunker, MatchesResticCutPoints) {
  std::string data = TestData(24 << 20, 1);
  const std::vector<size_t> restic = {686181, 2396096, 572647, 987762, 1556808, 766906, 4273775, 1396512, 1773442,
                                       561149, 700442, 3991902, 604961, 626863, 2557884, 1033659, 678835};
  EXPECT_EQ(Split(kTestPol, data, 1 << 20), restic);
  // The cut points do not depend on how the stream is fed.
  EXPECT_EQ(Split(kTestPol, data, 4093), restic);
  EXPECT_EQ(Split(kTestPol, data, 24 << 20), restic);
}

// Pieces shorter than 256 bytes always take the byte-by-byte path; larger
// ones take the lane path. Both must cut at the same places, however the
// stream is split, including a run of one byte value (no fingerprint hits:
// forced cuts at the maximum size).
TEST(Chunker, LanePathMatchesByteByBytePath) {
  std::string data = TestData(20 << 20, 3) + std::string(20 << 20, '\x01') + TestData(5 << 20, 4);
  auto reference = Split(kTestPol, data, 97);
  ASSERT_GE(reference.size(), 10u);
  EXPECT_GE(std::count(reference.begin(), reference.end(), kChunkMaxSize), 2)
      << "a constant run must be cut at the maximum size";
  EXPECT_EQ(Split(kTestPol, data, 1 << 20), reference);
  EXPECT_EQ(Split(kTestPol, data, 300), reference);
  EXPECT_EQ(Split(kTestPol, data, (1 << 16) + 1), reference);
  EXPECT_EQ(Split(kTestPol, data, data.size()), reference);
}

TEST(Chunker, BoundsAndShiftResistance) {
  std::string data = TestData(16 << 20, 7);
  auto a = Split(kTestPol, data, 1 << 20);
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    EXPECT_GE(a[i], kChunkMinSize);
    EXPECT_LE(a[i], kChunkMaxSize);
  }
  // Inserting bytes at the front changes only the first chunks.
  std::string shifted = "inserted" + data;
  auto b = Split(kTestPol, shifted, 1 << 20);
  ASSERT_GE(a.size(), 4u);
  EXPECT_EQ(std::vector<size_t>(a.end() - 3, a.end()), std::vector<size_t>(b.end() - 3, b.end()));
}

}  // namespace
}  // namespace lifeboat
