#include "source/postgres/custom_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <vector>

namespace lifeboat::pg {
namespace {

constexpr int kOffsetNotSet = 1, kOffsetSet = 2;
constexpr int kBlockData = 1, kBlockBlobs = 3;

// A forward reader over a file with a large buffer; positions are file offsets.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd), buf_(1 << 20) {}
  uint64_t pos() const { return base_ + off_; }
  // Returns false at the end of the file.
  bool Byte(uint8_t* out) {
    if (off_ == len_ && !Fill()) return false;
    *out = static_cast<uint8_t>(buf_[off_++]);
    return true;
  }
  bool Skip(uint64_t n) {
    while (n > 0) {
      if (off_ == len_ && !Fill()) return false;
      uint64_t take = std::min<uint64_t>(n, len_ - off_);
      off_ += take;
      n -= take;
    }
    return true;
  }
  // Appends the next n bytes to *out.
  bool Append(uint64_t n, std::string* out) {
    while (n > 0) {
      if (off_ == len_ && !Fill()) return false;
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, len_ - off_));
      out->append(buf_.data() + off_, take);
      off_ += take;
      n -= take;
    }
    return true;
  }
  bool Int(int int_size, int64_t* out) {
    uint8_t sign, b;
    if (!Byte(&sign)) return false;
    uint64_t v = 0;
    for (int i = 0; i < int_size; ++i) {
      if (!Byte(&b)) return false;
      if (i < 8) v |= static_cast<uint64_t>(b) << (8 * i);
    }
    *out = sign ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    return true;
  }
  bool Str(int int_size, std::string* out) {
    int64_t len;
    if (!Int(int_size, &len)) return false;
    out->clear();
    if (len < 0) return true;  // NULL
    if (len > (1 << 30)) return false;
    for (int64_t i = 0; i < len; ++i) {
      uint8_t c;
      if (!Byte(&c)) return false;
      out->push_back(static_cast<char>(c));
    }
    return true;
  }

 private:
  bool Fill() {
    base_ += len_;
    off_ = 0;
    ssize_t n;
    do {
      n = pread(fd_, buf_.data(), buf_.size(), static_cast<off_t>(base_));
    } while (n < 0 && errno == EINTR);
    len_ = n > 0 ? static_cast<size_t>(n) : 0;
    return len_ > 0;
  }
  int fd_;
  std::vector<char> buf_;
  uint64_t base_ = 0;
  size_t off_ = 0, len_ = 0;
};

struct TocEntry {
  int64_t dump_id = 0;
  uint64_t offset_field = 0;  // where the flag byte of its data offset is
  int state = 0;
};

}  // namespace

namespace {

// Writes behind the reader, in the same file: the compacted data is never
// longer than what has been read, so it never overtakes the reader.
class Writer {
 public:
  Writer(int fd, uint64_t pos, int int_size) : fd_(fd), pos_(pos), int_size_(int_size) {}
  uint64_t pos() const { return pos_ + buf_.size(); }
  void Byte(uint8_t b) { buf_.push_back(static_cast<char>(b)); }
  void Int(int64_t v) {
    Byte(v < 0 ? 1 : 0);
    uint64_t u = v < 0 ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
    for (int i = 0; i < int_size_; ++i) {
      Byte(static_cast<uint8_t>(u & 0xFF));
      u >>= 8;
    }
  }
  void Bytes(const std::string& b) { buf_ += b; }
  // Writes the buffer out once it holds `at_least` bytes.
  Status MaybeFlush(size_t at_least) { return buf_.size() >= at_least ? Flush() : Status::Ok(); }
  Status Flush() {
    size_t done = 0;
    while (done < buf_.size()) {
      ssize_t n = pwrite(fd_, buf_.data() + done, buf_.size() - done, static_cast<off_t>(pos_ + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus("write dump", errno);
      done += static_cast<size_t>(n);
    }
    pos_ += buf_.size();
    buf_.clear();
    return Status::Ok();
  }

 private:
  int fd_;
  uint64_t pos_;
  int int_size_;
  std::string buf_;
};

}  // namespace

Status PrepareForParallelRestore(const std::string& path, int* patched) {
  if (patched) *patched = 0;
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  Reader r(fd);
  auto bad = [&](const std::string& what) { return Corrupt("custom-format dump " + path + ": " + what); };
  char magic[5];
  for (char& c : magic) {
    uint8_t b;
    if (!r.Byte(&b)) return bad("too short");
    c = static_cast<char>(b);
  }
  if (std::string(magic, 5) != "PGDMP") return bad("not a pg_dump archive");
  uint8_t vmaj, vmin, vrev, int_size, off_size, format;
  if (!r.Byte(&vmaj) || !r.Byte(&vmin) || !r.Byte(&vrev) || !r.Byte(&int_size) || !r.Byte(&off_size) ||
      !r.Byte(&format)) {
    return bad("truncated header");
  }
  // Custom format (1) of the versions whose layout this reads.
  if (vmaj != 1 || vmin < 12 || vmin > 14 || format != 1 || int_size < 1 || int_size > 8 || off_size != 8) {
    return Status::Ok();
  }
  int64_t v, compression = 0;
  std::string s;
  if (!r.Int(int_size, &compression)) return bad("truncated header");
  for (int i = 0; i < 7; ++i) {
    if (!r.Int(int_size, &v)) return bad("truncated header");  // creation time
  }
  for (int i = 0; i < 3; ++i) {
    if (!r.Str(int_size, &s)) return bad("truncated header");  // dbname, server and pg_dump versions
  }
  int64_t count;
  if (!r.Int(int_size, &count) || count < 0) return bad("bad table of contents");
  std::vector<TocEntry> toc;
  for (int64_t e = 0; e < count; ++e) {
    TocEntry t;
    if (!r.Int(int_size, &t.dump_id) || !r.Int(int_size, &v)) return bad("bad table of contents entry");
    for (int i = 0; i < 4; ++i) {  // tableoid, oid, tag, desc
      if (!r.Str(int_size, &s)) return bad("bad table of contents entry");
    }
    if (!r.Int(int_size, &v)) return bad("bad table of contents entry");  // section
    // defn, dropStmt, copyStmt, namespace, tablespace, [tableam,] owner, "false"
    int strings = vmin >= 14 ? 8 : 7;
    for (int i = 0; i < strings; ++i) {
      if (!r.Str(int_size, &s)) return bad("bad table of contents entry");
    }
    for (;;) {  // dependencies, up to a NULL
      int64_t len;
      if (!r.Int(int_size, &len)) return bad("bad dependency list");
      if (len < 0) break;
      if (!r.Skip(static_cast<uint64_t>(len))) return bad("bad dependency list");
    }
    t.offset_field = r.pos();
    uint8_t flag;
    if (!r.Byte(&flag) || !r.Skip(off_size)) return bad("bad data offset");
    t.state = flag;
    toc.push_back(t);
  }
  bool needed = false;
  for (const auto& t : toc) needed = needed || t.state == kOffsetNotSet;
  if (!needed || compression != 0) return Status::Ok();  // pg_dump could seek, or chunks are compressed frames

  // The data blocks follow, in dump order: type, dump id, then chunks of
  // data (uncompressed pg_dump writes one per row). They are written back
  // in place with the chunks merged into pieces of up to kPiece bytes.
  constexpr size_t kPiece = 1 << 20;
  Writer w(fd, r.pos(), int_size);
  std::map<int64_t, uint64_t> block_at;
  std::string piece;
  auto copy_chunks = [&]() -> Status {
    for (;;) {
      int64_t len;
      if (!r.Int(int_size, &len) || len < 0) return bad("truncated data");
      if (len == 0) break;
      if (!r.Append(static_cast<uint64_t>(len), &piece)) return bad("truncated data");
      if (piece.size() >= kPiece) {
        w.Int(static_cast<int64_t>(piece.size()));
        w.Bytes(piece);
        piece.clear();
        LB_RETURN_IF_ERROR(w.Flush());
      }
    }
    if (!piece.empty()) {
      w.Int(static_cast<int64_t>(piece.size()));
      w.Bytes(piece);
      piece.clear();
    }
    w.Int(0);
    return Status::Ok();
  };
  for (;;) {
    uint8_t type;
    if (!r.Byte(&type)) break;
    int64_t id;
    if (!r.Int(int_size, &id)) return bad("truncated data block");
    block_at[id] = w.pos();
    w.Byte(type);
    w.Int(id);
    if (type == kBlockData) {
      LB_RETURN_IF_ERROR(copy_chunks());
    } else if (type == kBlockBlobs) {
      for (;;) {
        int64_t oid;
        if (!r.Int(int_size, &oid)) return bad("truncated large objects");
        w.Int(oid);
        if (oid == 0) break;
        LB_RETURN_IF_ERROR(copy_chunks());
      }
    } else {
      return bad("unknown data block type " + std::to_string(type));
    }
    LB_RETURN_IF_ERROR(w.MaybeFlush(kPiece));
  }
  LB_RETURN_IF_ERROR(w.Flush());
  if (ftruncate(fd, static_cast<off_t>(w.pos())) != 0) return ErrnoStatus("truncate " + path, errno);
  int done = 0;
  for (const auto& t : toc) {
    if (t.state != kOffsetNotSet) continue;
    auto it = block_at.find(t.dump_id);
    if (it == block_at.end()) continue;
    unsigned char field[9];
    field[0] = kOffsetSet;
    uint64_t o = it->second;
    for (int i = 1; i < 9; ++i) {
      field[i] = static_cast<unsigned char>(o & 0xFF);
      o >>= 8;
    }
    if (pwrite(fd, field, sizeof field, static_cast<off_t>(t.offset_field)) != static_cast<ssize_t>(sizeof field)) {
      return ErrnoStatus("write " + path, errno);
    }
    ++done;
  }
  if (patched) *patched = done;
  return Status::Ok();
}

}  // namespace lifeboat::pg
