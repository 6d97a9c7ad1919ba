// A file's fingerprint (tree.h's Node::fingerprint): the XXH3-128 of its
// bytes, as 32 lowercase hex digits (the canonical, big-endian form). The
// backup takes it while it reads a file; a restore with verify compares it
// while it reads the file back. One type so both sides agree on the form.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct XXH3_state_s;

namespace lifeboat {

class Fingerprinter {
 public:
  Fingerprinter();
  ~Fingerprinter();
  Fingerprinter(const Fingerprinter&) = delete;
  Fingerprinter& operator=(const Fingerprinter&) = delete;

  void Update(const void* data, size_t n);
  // The fingerprint of the bytes given so far.
  std::string Hex() const;

 private:
  std::unique_ptr<XXH3_state_s, void (*)(XXH3_state_s*)> state_;
};

}  // namespace lifeboat
