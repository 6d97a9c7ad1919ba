#include "source/postgres/page_delta.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "env/env.h"

namespace lifeboat::pg {
namespace {

constexpr char kMagic[8] = {'L', 'B', 'P', 'G', 'D', 'L', 'T', '1'};
constexpr uint8_t kSame = 0x00, kPatch = 0x01, kLiteral = 0x02, kTail = 0x03, kEnd = 0xff;
// Equal bytes shorter than this between two changes are stored with them:
// a separate range costs four bytes of offset and length.
constexpr size_t kGap = 8;
// A page whose ranges would cost more than this is stored whole.
constexpr size_t kPatchBudget = kPageSize / 2;
constexpr size_t kOutBuffer = 1 << 20;
// Restored files are written 32 KiB at a time. Large aligned writes get
// large page-cache folios, and on a VM whose host backs memory lazily (as
// the benchmark machine's does) those come from memory never touched
// before: 1 MiB writes made applying deltas take 3x the time.
constexpr size_t kApplyWrite = 32 << 10;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// Reads n bytes unless the file ends first.
Result<size_t> ReadFully(int fd, char* buf, size_t n, const std::string& what) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("read " + what, errno);
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

// Appends the ranges where `now` differs from `base` as a patch record, or
// returns false (appending nothing) if storing the page whole is cheaper.
bool AppendPatch(const char* base, const char* now, std::string* out) {
  struct Range {
    size_t off, len;
  };
  std::vector<Range> ranges;
  size_t cost = 0;
  size_t i = 0;
  while (i < kPageSize) {
    // Equal words are skipped eight bytes at a time.
    while (i + 8 <= kPageSize && std::memcmp(base + i, now + i, 8) == 0) i += 8;
    if (i >= kPageSize) break;
    while (i < kPageSize && base[i] == now[i]) ++i;
    if (i >= kPageSize) break;
    size_t start = i, last = i;
    for (size_t j = i + 1; j < kPageSize; ++j) {
      if (base[j] != now[j]) {
        last = j;
      } else if (j - last >= kGap) {
        break;
      }
    }
    ranges.push_back({start, last + 1 - start});
    cost += 4 + last + 1 - start;
    if (cost > kPatchBudget) return false;
    i = last + 1;
  }
  out->push_back(static_cast<char>(kPatch));
  PutU16(out, static_cast<uint16_t>(ranges.size()));
  for (const Range& r : ranges) {
    PutU16(out, static_cast<uint16_t>(r.off));
    PutU16(out, static_cast<uint16_t>(r.len));
    out->append(now + r.off, r.len);
  }
  return true;
}

// Reads a delta stream record by record.
class DeltaReader {
 public:
  DeltaReader(const ByteSource& in, const std::string& what) : in_(in), what_(what) {}
  Status Get(char* buf, size_t n) {
    LB_ASSIGN_OR_RETURN(size_t got, in_(buf, n));
    if (got != n) return Damaged("it ends early");
    return Status::Ok();
  }
  Result<uint64_t> GetInt(int bytes) {
    char b[8];
    LB_RETURN_IF_ERROR(Get(b, static_cast<size_t>(bytes)));
    return GetLE(b, bytes);
  }
  Status Damaged(const std::string& why) const { return Corrupt("page delta of " + what_ + ": " + why); }

 private:
  const ByteSource& in_;
  std::string what_;
};

}  // namespace

bool IsRelationFile(std::string_view rel) {
  std::string_view name;
  if (rel.substr(0, 7) == "global/") {
    name = rel.substr(7);
  } else if (rel.substr(0, 5) == "base/") {
    std::string_view rest = rel.substr(5);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || !AllDigits(rest.substr(0, slash))) return false;
    name = rest.substr(slash + 1);
  } else {
    return false;
  }
  if (name.find('/') != std::string_view::npos) return false;
  size_t dot = name.find('.');
  if (dot != std::string_view::npos) {
    if (!AllDigits(name.substr(dot + 1))) return false;
    name = name.substr(0, dot);
  }
  size_t fork = name.find('_');
  if (fork != std::string_view::npos) {
    std::string_view f = name.substr(fork + 1);
    if (f != "fsm" && f != "vm" && f != "init") return false;
    name = name.substr(0, fork);
  }
  return AllDigits(name);
}

Result<size_t> NodeReader::Read(char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    if (pos_ == blob_.size()) {
      if (next_ == node_.content.size()) break;
      LB_ASSIGN_OR_RETURN(blob_, repo_.LoadBlob(BlobType::kData, node_.content[next_]));
      ++next_;
      pos_ = 0;
      continue;
    }
    size_t take = std::min(n - got, blob_.size() - pos_);
    std::memcpy(buf + got, blob_.data() + pos_, take);
    pos_ += take;
    got += take;
  }
  return got;
}

Status WriteDelta(const ByteSource& base, uint64_t base_size, int in, const std::string& what, int out,
                  DeltaStats* stats) {
  const uint64_t base_pages = base_size / kPageSize;
  std::string buf(kMagic, sizeof kMagic);
  PutU32(&buf, kPageSize);
  constexpr size_t kBatch = 128;  // pages read at once
  std::unique_ptr<char[]> now(new char[kBatch * kPageSize]);
  std::unique_ptr<char[]> was(new char[kPageSize]);
  uint64_t page = 0, size = 0;
  DeltaStats st;
  auto flush = [&]() -> Status {
    st.delta_bytes += buf.size();
    Status s = WriteAll(out, buf, "the page delta of " + what);
    buf.clear();
    return s;
  };
  for (;;) {
    LB_ASSIGN_OR_RETURN(size_t n, ReadFully(in, now.get(), kBatch * kPageSize, what));
    size += n;
    size_t whole = n / kPageSize;
    for (size_t k = 0; k < whole; ++k, ++page) {
      const char* p = now.get() + k * kPageSize;
      st.pages++;
      if (page < base_pages) {
        LB_ASSIGN_OR_RETURN(size_t got, base(was.get(), kPageSize));
        if (got != kPageSize) return Corrupt("the base of " + what + " is shorter than its recorded size");
        if (std::memcmp(p, was.get(), kPageSize) == 0) {
          buf.push_back(static_cast<char>(kSame));
          st.same++;
          continue;
        }
        if (AppendPatch(was.get(), p, &buf)) {
          st.patched++;
          continue;
        }
      }
      buf.push_back(static_cast<char>(kLiteral));
      buf.append(p, kPageSize);
      st.literal++;
    }
    if (n % kPageSize != 0) {
      // A partial page can only be the last: the file ends here.
      size_t tail = n % kPageSize;
      buf.push_back(static_cast<char>(kTail));
      PutU32(&buf, static_cast<uint32_t>(tail));
      buf.append(now.get() + whole * kPageSize, tail);
      break;
    }
    if (buf.size() >= kOutBuffer) LB_RETURN_IF_ERROR(flush());
    if (n < kBatch * kPageSize) break;
  }
  buf.push_back(static_cast<char>(kEnd));
  PutU64(&buf, size);
  LB_RETURN_IF_ERROR(flush());
  if (stats) *stats = st;
  return Status::Ok();
}

Status ApplyDelta(const ByteSource& base, uint64_t base_size, const ByteSource& delta, int out,
                  const std::string& what) {
  DeltaReader d(delta, what);
  const uint64_t base_pages = base_size / kPageSize;
  char head[12];
  LB_RETURN_IF_ERROR(d.Get(head, sizeof head));
  if (std::memcmp(head, kMagic, sizeof kMagic) != 0) return d.Damaged("not a page delta");
  if (GetLE(head + 8, 4) != kPageSize) return d.Damaged("page size " + std::to_string(GetLE(head + 8, 4)));
  std::string buf;
  buf.reserve(kApplyWrite + kPageSize);
  std::unique_ptr<char[]> page(new char[kPageSize]);
  uint64_t index = 0, size = 0;
  auto flush = [&]() -> Status {
    Status s = WriteAll(out, buf, what);
    buf.clear();
    return s;
  };
  for (;;) {
    char op;
    LB_RETURN_IF_ERROR(d.Get(&op, 1));
    uint8_t code = static_cast<uint8_t>(op);
    if (code == kEnd) {
      LB_ASSIGN_OR_RETURN(uint64_t want, d.GetInt(8));
      if (want != size) return d.Damaged("it describes " + std::to_string(size) + " bytes, recorded " + std::to_string(want));
      break;
    }
    if (code == kTail) {
      LB_ASSIGN_OR_RETURN(uint64_t n, d.GetInt(4));
      if (n == 0 || n >= kPageSize) return d.Damaged("a partial page of " + std::to_string(n) + " bytes");
      LB_RETURN_IF_ERROR(d.Get(page.get(), n));
      buf.append(page.get(), n);
      size += n;
      LB_ASSIGN_OR_RETURN(uint64_t end, d.GetInt(1));
      if (end != kEnd) return d.Damaged("records after the partial page");
      LB_ASSIGN_OR_RETURN(uint64_t want, d.GetInt(8));
      if (want != size) return d.Damaged("it describes " + std::to_string(size) + " bytes, recorded " + std::to_string(want));
      break;
    }
    if (code != kSame && code != kPatch && code != kLiteral) return d.Damaged("unknown record " + std::to_string(code));
    // The base page at this index is read (and for a literal, skipped) so
    // that the base stays in step with the pages described.
    if (index < base_pages) {
      LB_ASSIGN_OR_RETURN(size_t got, base(page.get(), kPageSize));
      if (got != kPageSize) return Corrupt("the base of " + what + " is shorter than its recorded size");
    } else if (code != kLiteral) {
      return d.Damaged("page " + std::to_string(index) + " refers to the base, which has " + std::to_string(base_pages));
    }
    if (code == kLiteral) {
      LB_RETURN_IF_ERROR(d.Get(page.get(), kPageSize));
    } else if (code == kPatch) {
      LB_ASSIGN_OR_RETURN(uint64_t ranges, d.GetInt(2));
      for (uint64_t r = 0; r < ranges; ++r) {
        LB_ASSIGN_OR_RETURN(uint64_t off, d.GetInt(2));
        LB_ASSIGN_OR_RETURN(uint64_t len, d.GetInt(2));
        if (off + len > kPageSize) return d.Damaged("a range past the end of page " + std::to_string(index));
        LB_RETURN_IF_ERROR(d.Get(page.get() + off, len));
      }
    }
    buf.append(page.get(), kPageSize);
    size += kPageSize;
    ++index;
    if (buf.size() >= kApplyWrite) LB_RETURN_IF_ERROR(flush());
  }
  return flush();
}

}  // namespace lifeboat::pg
