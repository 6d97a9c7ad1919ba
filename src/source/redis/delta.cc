#include "source/redis/delta.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "source/redis/crc64.h"

namespace lifeboat::redis {
namespace {

void PutBe64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBe64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

constexpr std::string_view kTableMagic = "lifeboat redis key table 1\n";

void StoreLe64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t GetLe64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool Less(const KeyId& a, const KeyId& b) { return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo; }

}  // namespace

KeyId KeyIdOf(int db, std::string_view name) {
  std::string buf;
  buf.reserve(name.size() + 4);
  uint32_t d = static_cast<uint32_t>(db);
  buf.append(reinterpret_cast<const char*>(&d), 4);
  buf.append(name);
  return HashBytes(buf);
}

uint64_t RecordCheck(const RdbEntry& e) {
  uint64_t buf[2] = {e.payload_hash, static_cast<uint64_t>(e.expire_ms)};
  return XXH3_64bits_withSeed(buf, sizeof buf, e.payload_size);
}

std::string KeyTable::Encode() const {
  std::string out(kTableMagic.size() + 8 + rows_.size() * 24, '\0');
  std::memcpy(out.data(), kTableMagic.data(), kTableMagic.size());
  char* p = out.data() + kTableMagic.size();
  StoreLe64(p, rows_.size());
  p += 8;
  for (const Row& r : rows_) {
    StoreLe64(p, r.hi);
    StoreLe64(p + 8, r.lo);
    StoreLe64(p + 16, r.check);
    p += 24;
  }
  return out;
}

Status KeyTable::Decode(std::string_view data) {
  if (!data.starts_with(kTableMagic) || data.size() < kTableMagic.size() + 8)
    return Corrupt("not a key table (no header)");
  auto p = reinterpret_cast<const unsigned char*>(data.data()) + kTableMagic.size();
  uint64_t n = GetLe64(p);
  p += 8;
  if ((data.size() - kTableMagic.size() - 8) / 24 != n || (data.size() - kTableMagic.size() - 8) % 24 != 0)
    return Corrupt("a key table of " + std::to_string(data.size()) + " bytes cannot hold " +
                   std::to_string(n) + " rows");
  rows_.reserve(rows_.size() + n);
  for (uint64_t i = 0; i < n; ++i, p += 24) rows_.push_back({GetLe64(p), GetLe64(p + 8), GetLe64(p + 16)});
  return Status::Ok();
}

Status KeyTable::Seal() {
  // KeyIds are uniformly random: a counting sort by the top 16 bits puts
  // each row in its directory bucket (about n/65536 rows), then each bucket
  // is sorted on its own; much faster than one sort of all n rows.
  dir_.assign(65537, 0);
  for (const Row& r : rows_) ++dir_[(r.hi >> 48) + 1];
  for (size_t top = 1; top <= 65536; ++top) dir_[top] += dir_[top - 1];
  {
    std::vector<uint32_t> next(dir_.begin(), dir_.end() - 1);
    std::vector<Row> sorted(rows_.size());
    for (const Row& r : rows_) sorted[next[r.hi >> 48]++] = r;
    rows_ = std::move(sorted);
  }
  auto less = [](const Row& a, const Row& b) { return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo; };
  for (size_t top = 0; top < 65536; ++top)
    std::sort(rows_.begin() + dir_[top], rows_.begin() + dir_[top + 1], less);
  for (size_t i = 1; i < rows_.size(); ++i) {
    if (rows_[i].hi == rows_[i - 1].hi && rows_[i].lo == rows_[i - 1].lo) {
      return Corrupt("the full's RDB holds the same key twice");
    }
  }
  seen_.assign(rows_.size(), false);
  return Status::Ok();
}

size_t KeyTable::Find(const KeyId& id) const {
  if (dir_.empty()) return kNone;
  uint32_t top = static_cast<uint32_t>(id.hi >> 48);
  for (size_t i = dir_[top]; i < dir_[top + 1]; ++i) {
    if (rows_[i].hi == id.hi && rows_[i].lo == id.lo) return i;
    if (rows_[i].hi > id.hi) break;
  }
  return kNone;
}

std::vector<KeyId> KeyTable::Unseen() const {
  std::vector<KeyId> out;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (!seen_[i]) out.push_back(KeyId{rows_[i].lo, rows_[i].hi});
  }
  return out;
}

std::string EncodeKeyIds(std::vector<KeyId> ids) {
  std::sort(ids.begin(), ids.end(), Less);
  std::string out;
  out.reserve(ids.size() * 16);
  for (const KeyId& id : ids) {
    PutBe64(&out, id.hi);
    PutBe64(&out, id.lo);
  }
  return out;
}

Result<std::vector<KeyId>> DecodeKeyIds(std::string_view data) {
  if (data.size() % 16 != 0)
    return Corrupt("dropped.keys: " + std::to_string(data.size()) + " bytes is not whole ids");
  std::vector<KeyId> ids(data.size() / 16);
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i].hi = GetBe64(p + 16 * i);
    ids[i].lo = GetBe64(p + 16 * i + 8);
    if (i > 0 && !Less(ids[i - 1], ids[i]))
      return Corrupt("dropped.keys: ids out of order at " + std::to_string(i));
  }
  return ids;
}

bool ContainsKeyId(const std::vector<KeyId>& sorted, const KeyId& id) {
  return std::binary_search(sorted.begin(), sorted.end(), id, Less);
}

void AppendRdbLength(std::string* out, uint64_t n) {
  if (n < 64) {
    out->push_back(static_cast<char>(n));
  } else if (n < 16384) {
    out->push_back(static_cast<char>(0x40 | (n >> 8)));
    out->push_back(static_cast<char>(n & 0xff));
  } else if (n <= 0xffffffffull) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    PutBe64(out, n);
  }
}

Status RdbWriter::Put(std::string_view data) {
  buf_.append(data);
  if (buf_.size() >= (1u << 20)) return Drain();
  return Status::Ok();
}

Status RdbWriter::Drain() {
  if (buf_.empty()) return Status::Ok();
  crc_ = Crc64(crc_, buf_);
  bytes_ += buf_.size();
  Status s = sink_(buf_);
  buf_.clear();
  return s;
}

Status RdbWriter::Begin(int version) {
  char head[16];
  std::snprintf(head, sizeof head, "REDIS%04d", version);
  begun_ = true;
  return Put(head);
}

Status RdbWriter::Entry(const RdbEntry& e) {
  if (e.raw.empty())
    return InvalidArgument("RdbWriter: key \"" + e.key.substr(0, 100) + "\" read without its bytes");
  std::string op;
  if (e.db != db_) {
    op.push_back(static_cast<char>(254));  // SELECTDB
    AppendRdbLength(&op, static_cast<uint64_t>(e.db));
    db_ = e.db;
  }
  if (e.expire_ms >= 0) {
    op.push_back(static_cast<char>(252));  // EXPIRETIME_MS, little-endian
    for (int i = 0; i < 8; ++i)
      op.push_back(static_cast<char>((static_cast<uint64_t>(e.expire_ms) >> (8 * i)) & 0xff));
  }
  // raw is the type byte and the payload; the key sits between them.
  op.push_back(e.raw[0]);
  AppendRdbLength(&op, e.key.size());
  op.append(e.key);
  LB_RETURN_IF_ERROR(Put(op));
  return Put(std::string_view(e.raw).substr(1));
}

Status RdbWriter::Function(std::string_view code) {
  std::string op(1, static_cast<char>(245));  // FUNCTION2
  AppendRdbLength(&op, code.size());
  op.append(code);
  return Put(op);
}

Status RdbWriter::Finish() {
  LB_RETURN_IF_ERROR(Put(std::string(1, static_cast<char>(255))));
  LB_RETURN_IF_ERROR(Drain());
  std::string tail;
  for (int i = 0; i < 8; ++i) tail.push_back(static_cast<char>((crc_ >> (8 * i)) & 0xff));
  bytes_ += 8;
  return sink_(tail);
}

}  // namespace lifeboat::redis
