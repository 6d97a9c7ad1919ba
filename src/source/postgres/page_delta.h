// Page deltas of PostgreSQL relation files, for differential base backups.
//
// A relation file is a sequence of 8 KiB pages. Between two backups a
// workload of scattered updates touches most pages but few bytes of each
// (the page header, an item pointer, a tuple header, the new tuple), so a
// differential base backup stores, per changed relation file, only the
// bytes that differ from the file in the full base backup it builds on.
// The delta is a byte stream, stored as an ordinary file of the snapshot
// (and so chunked, deduplicated, compressed and encrypted as any file):
//
//   "LBPGDLT1"  u32 page size (8192)
//   then one record per page of the new file, in order:
//     0x00                     the page equals the base file's page
//     0x01 u16 n, n x (u16 offset, u16 length, bytes)
//                              the base page with these ranges replaced
//     0x02 8192 bytes          the page itself (new, or mostly rewritten)
//     0x03 u32 n, n bytes      a last, partial page
//   0xff u64 size              end: the new file's size in bytes
//
// Integers are little-endian. Applying a delta checks every record against
// the base file and the final size; a mismatch is an error, never a guess.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "repo/repository.h"
#include "repo/tree.h"

namespace lifeboat::pg {

constexpr size_t kPageSize = 8192;

// True for the path of a relation file inside a data directory:
// base/<db>/<node>[_fsm|_vm|_init][.<segment>] or global/<node>[...].
bool IsRelationFile(std::string_view rel);

// Reads a file of a snapshot in order, one blob in memory at a time.
class NodeReader {
 public:
  NodeReader(Repository& repo, const Node& node) : repo_(repo), node_(node) {}
  // Fills buf with n bytes; fewer only at the end of the file.
  Result<size_t> Read(char* buf, size_t n);

 private:
  Repository& repo_;
  const Node& node_;
  size_t next_ = 0;  // next blob of node_.content
  std::string blob_;
  size_t pos_ = 0;  // read position in blob_
};

struct DeltaStats {
  uint64_t pages = 0;      // pages of the new file
  uint64_t same = 0;       // equal to the base
  uint64_t patched = 0;    // stored as changed ranges
  uint64_t literal = 0;    // stored whole
  uint64_t delta_bytes = 0;  // bytes of the delta stream
};

// Fills a buffer with n bytes, fewer only at the end (NodeReader::Read).
using ByteSource = std::function<Result<size_t>(char* buf, size_t n)>;

// Writes the delta of the open file `in` (named `what`) against `base`, its
// content in an earlier snapshot (base_size bytes), to `out`.
Status WriteDelta(const ByteSource& base, uint64_t base_size, int in, const std::string& what, int out,
                  DeltaStats* stats);

// Writes the file that `delta` describes against `base` to `out`.
Status ApplyDelta(const ByteSource& base, uint64_t base_size, const ByteSource& delta, int out,
                  const std::string& what);

}  // namespace lifeboat::pg
