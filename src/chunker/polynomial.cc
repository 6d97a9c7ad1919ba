#include "chunker/polynomial.h"

#include <cstring>

#include "crypto/crypto.h"

namespace lifeboat {

int PolDegree(uint64_t p) { return p == 0 ? -1 : 63 - __builtin_clzll(p); }

uint64_t PolMod(uint64_t x, uint64_t d) {
  int dd = PolDegree(d);
  for (int diff = PolDegree(x) - dd; diff >= 0; diff = PolDegree(x) - dd) {
    x ^= d << diff;
  }
  return x;
}

uint64_t PolMulMod(uint64_t x, uint64_t f, uint64_t g) {
  x = PolMod(x, g);
  uint64_t res = 0;
  for (int i = PolDegree(f); i >= 0; --i) {
    res = PolMod(res << 1, g);
    if ((f >> i) & 1) res ^= x;
  }
  return PolMod(res, g);
}

namespace {

uint64_t Gcd(uint64_t a, uint64_t b) {
  while (b != 0) {
    uint64_t r = PolMod(a, b);
    a = b;
    b = r;
  }
  return a;
}

// (x^(2^p) - x) mod g
uint64_t Qp(int p, uint64_t g) {
  uint64_t res = 2;  // the polynomial "x"
  for (int i = 0; i < p; ++i) res = PolMulMod(res, res, g);
  return PolMod(res ^ 2, g);
}

}  // namespace

bool PolIrreducible(uint64_t p) {
  for (int i = 1; i <= PolDegree(p) / 2; ++i) {
    if (Gcd(p, Qp(i, p)) != 1) return false;
  }
  return true;
}

uint64_t RandomPolynomial() {
  for (;;) {
    std::string bytes = RandomBytes(8);
    uint64_t f;
    std::memcpy(&f, bytes.data(), 8);
    f &= (uint64_t(1) << 54) - 1;
    f |= (uint64_t(1) << 53) | 1;
    if (PolIrreducible(f)) return f;
  }
}

}  // namespace lifeboat
