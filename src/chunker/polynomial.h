// Polynomials over GF(2) of degree < 64, as used by the Rabin fingerprint
// chunker. A repository stores one random irreducible polynomial of degree 53
// in its config ("chunker_polynomial").
#pragma once

#include <cstdint>

namespace lifeboat {

// Degree of p, or -1 for the zero polynomial.
int PolDegree(uint64_t p);
// Remainder of x divided by d (d != 0).
uint64_t PolMod(uint64_t x, uint64_t d);
// x * f mod g, for x and f of degree below deg(g) <= 62.
uint64_t PolMulMod(uint64_t x, uint64_t f, uint64_t g);
// Ben-Or's test: true iff p is irreducible over GF(2).
bool PolIrreducible(uint64_t p);
// A random irreducible polynomial of degree 53.
uint64_t RandomPolynomial();

}  // namespace lifeboat
