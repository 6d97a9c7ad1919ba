#include "source/redis/rdb.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "source/redis/crc64.h"

namespace lifeboat::redis {
namespace {

enum Op : uint8_t {
  kOpSlotInfo = 244,
  kOpFunction2 = 245,
  kOpFunctionPreGa = 246,
  kOpModuleAux = 247,
  kOpIdle = 248,
  kOpFreq = 249,
  kOpAux = 250,
  kOpResizeDb = 251,
  kOpExpireMs = 252,
  kOpExpireSec = 253,
  kOpSelectDb = 254,
  kOpEof = 255,
};

enum Type : int {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZset = 3,
  kTypeHash = 4,
  kTypeZset2 = 5,
  kTypeModulePreGa = 6,
  kTypeModule2 = 7,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZsetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZsetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
  kTypeSetListpack = 20,
  kTypeStreamListpacks3 = 21,
};

uint64_t Le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t Be(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  uint64_t sign = uint64_t(1) << (bits - 1);
  return bits == 64 ? static_cast<int64_t>(v) : static_cast<int64_t>((v ^ sign) - sign);
}

// One element of a ziplist or listpack: a string or an integer.
struct Elem {
  bool is_int = false;
  int64_t i = 0;
  std::string_view s;
  std::string Text() const { return is_int ? std::to_string(i) : std::string(s); }
  bool ToDouble(double* out) const {
    if (is_int) {
      *out = static_cast<double>(i);
      return true;
    }
    std::string t(s);
    char* end = nullptr;
    *out = std::strtod(t.c_str(), &end);
    return end != t.c_str() && *end == '\0';
  }
};

Status Bad(const std::string& what) { return Corrupt("RDB: " + what); }

// Ziplist (Redis < 7 small lists, hashes, sorted sets).
Status ParseZiplist(std::string_view z, std::vector<Elem>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(z.data());
  const size_t n = z.size();
  if (n < 11) return Bad("ziplist shorter than its header");
  size_t pos = 10;
  while (true) {
    if (pos >= n) return Bad("ziplist without its end marker");
    if (p[pos] == 0xff) break;
    pos += p[pos] < 254 ? 1 : 5;  // prevlen
    if (pos >= n) return Bad("ziplist entry cut short");
    unsigned char enc = p[pos];
    Elem e;
    size_t len = 0, head = 1;
    switch (enc >> 6) {
      case 0:
        len = enc & 0x3f;
        break;
      case 1:
        if (pos + 2 > n) return Bad("ziplist entry cut short");
        len = ((enc & 0x3f) << 8) | p[pos + 1];
        head = 2;
        break;
      case 2:
        if (pos + 5 > n) return Bad("ziplist entry cut short");
        len = Be(p + pos + 1, 4);
        head = 5;
        break;
      default: {
        e.is_int = true;
        int bytes = enc == 0xc0   ? 2
                    : enc == 0xd0 ? 4
                    : enc == 0xe0 ? 8
                    : enc == 0xf0 ? 3
                    : enc == 0xfe ? 1
                                  : 0;
        if (bytes == 0) {
          if (enc < 0xf1 || enc > 0xfd) return Bad("ziplist entry with an unknown encoding");
          e.i = (enc & 0x0f) - 1;
        } else {
          if (pos + 1 + bytes > n) return Bad("ziplist entry cut short");
          e.i = SignExtend(Le(p + pos + 1, bytes), bytes * 8);
        }
        out->push_back(e);
        pos += 1 + bytes;
        continue;
      }
    }
    if (pos + head + len > n) return Bad("ziplist string runs past the ziplist");
    e.s = z.substr(pos + head, len);
    out->push_back(e);
    pos += head + len;
  }
  return Status::Ok();
}

// Listpack (Redis 7 small lists, sets, hashes, sorted sets; stream nodes).
Status ParseListpack(std::string_view l, std::vector<Elem>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(l.data());
  const size_t n = l.size();
  if (n < 7) return Bad("listpack shorter than its header");
  size_t pos = 6;
  while (true) {
    if (pos >= n) return Bad("listpack without its end marker");
    unsigned char b = p[pos];
    if (b == 0xff) break;
    Elem e;
    size_t entry = 0;
    auto need = [&](size_t k) { return pos + k <= n; };
    if ((b & 0x80) == 0) {
      e.is_int = true, e.i = b & 0x7f, entry = 1;
    } else if ((b & 0xc0) == 0x80) {
      size_t len = b & 0x3f;
      if (!need(1 + len)) return Bad("listpack string runs past the listpack");
      e.s = l.substr(pos + 1, len), entry = 1 + len;
    } else if ((b & 0xe0) == 0xc0) {
      if (!need(2)) return Bad("listpack entry cut short");
      e.is_int = true, e.i = SignExtend(((b & 0x1f) << 8) | p[pos + 1], 13), entry = 2;
    } else if ((b & 0xf0) == 0xe0) {
      if (!need(2)) return Bad("listpack entry cut short");
      size_t len = ((b & 0x0f) << 8) | p[pos + 1];
      if (!need(2 + len)) return Bad("listpack string runs past the listpack");
      e.s = l.substr(pos + 2, len), entry = 2 + len;
    } else if (b == 0xf0) {
      if (!need(5)) return Bad("listpack entry cut short");
      size_t len = Le(p + pos + 1, 4);
      if (len > n || !need(5 + len)) return Bad("listpack string runs past the listpack");
      e.s = l.substr(pos + 5, len), entry = 5 + len;
    } else if (b >= 0xf1 && b <= 0xf4) {
      int bytes = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
      if (!need(1 + bytes)) return Bad("listpack entry cut short");
      e.is_int = true, e.i = SignExtend(Le(p + pos + 1, bytes), bytes * 8), entry = 1 + bytes;
    } else {
      return Bad("listpack entry with an unknown encoding");
    }
    size_t back = entry <= 127 ? 1 : entry < 16383 ? 2 : entry < 2097151 ? 3 : entry < 268435455 ? 4 : 5;
    if (!need(entry + back)) return Bad("listpack entry cut short");
    out->push_back(e);
    pos += entry + back;
  }
  return Status::Ok();
}

Status ParseIntset(std::string_view s, std::vector<Elem>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  if (s.size() < 8) return Bad("intset shorter than its header");
  uint64_t width = Le(p, 4), count = Le(p + 4, 4);
  if (width != 2 && width != 4 && width != 8)
    return Bad("intset with element width " + std::to_string(width));
  if (8 + count * width != s.size()) return Bad("intset length disagrees with its size");
  for (uint64_t i = 0; i < count; ++i) {
    Elem e;
    e.is_int = true;
    e.i = SignExtend(Le(p + 8 + i * width, static_cast<int>(width)), static_cast<int>(width * 8));
    out->push_back(e);
  }
  return Status::Ok();
}

Status ParseZipmap(std::string_view z, std::vector<Elem>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(z.data());
  const size_t n = z.size();
  size_t pos = 1;
  auto len_at = [&](size_t* len) -> bool {
    if (pos >= n || p[pos] == 0xff) return false;
    if (p[pos] < 254) {
      *len = p[pos++];
      return true;
    }
    if (p[pos] != 254 || pos + 5 > n) return false;
    *len = Le(p + pos + 1, 4);
    pos += 5;
    return true;
  };
  while (true) {
    if (pos >= n) return Bad("zipmap without its end marker");
    if (p[pos] == 0xff) break;
    size_t klen, vlen;
    if (!len_at(&klen) || pos + klen > n) return Bad("zipmap key cut short");
    Elem k;
    k.s = z.substr(pos, klen);
    pos += klen;
    if (!len_at(&vlen) || pos + 1 > n) return Bad("zipmap value cut short");
    size_t free = p[pos++];
    if (pos + vlen + free > n) return Bad("zipmap value cut short");
    Elem v;
    v.s = z.substr(pos, vlen);
    pos += vlen + free;
    out->push_back(k);
    out->push_back(v);
  }
  return Status::Ok();
}

// LZF, as Redis compresses strings (lzf_d.c's format).
Status LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->assign(out_len, '\0');
  const auto* ip = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = ip + in.size();
  size_t op = 0;
  while (ip < end) {
    unsigned ctrl = *ip++;
    if (ctrl < 32) {
      size_t run = ctrl + 1;
      if (ip + run > end || op + run > out_len) return Bad("LZF literal runs past its bounds");
      std::memcpy(out->data() + op, ip, run);
      ip += run, op += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= end) return Bad("LZF back reference cut short");
      len += *ip++;
    }
    if (ip >= end) return Bad("LZF back reference cut short");
    size_t back = ((ctrl & 0x1f) << 8) + *ip++ + 1;
    len += 2;
    if (back > op || op + len > out_len) return Bad("LZF back reference outside the output");
    for (size_t k = 0; k < len; ++k, ++op) (*out)[op] = (*out)[op - back];
  }
  if (op != out_len) return Bad("LZF output shorter than declared");
  return Status::Ok();
}

class Parser {
 public:
  Parser(RdbInput& in, const RdbOptions& o) : in_(in), o_(o), buf_(1 << 20, '\0') {}
  ~Parser() {
    if (hash_state_) XXH3_freeState(hash_state_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  Result<RdbSummary> Run(const std::function<Status(RdbEntry&)>& on_entry);

 private:
  // --- bytes -------------------------------------------------------------
  Status Fill() {
    crc_ = Crc64(crc_, std::string_view(buf_.data() + crc_from_, len_ - crc_from_));
    if (hashing_) SpillHash();
    pos_ = len_ = crc_from_ = hash_from_ = 0;
    LB_ASSIGN_OR_RETURN(size_t n, in_.ReadSome(buf_.data(), buf_.size()));
    if (n == 0) return Bad("cut short at byte " + std::to_string(offset_));
    len_ = n;
    return Status::Ok();
  }
  Status Read(char* out, size_t n) {
    while (n > 0) {
      if (pos_ == len_) LB_RETURN_IF_ERROR(Fill());
      size_t k = std::min(n, len_ - pos_);
      std::memcpy(out, buf_.data() + pos_, k);
      if (raw_) raw_->append(buf_.data() + pos_, k);
      pos_ += k, offset_ += k, out += k, n -= k;
    }
    return Status::Ok();
  }
  // The payload hash (RdbEntry::payload_hash): the bytes from hash_from_
  // in buf_, hashed in one call at the end unless a refill came first,
  // which moves them into hash_state_.
  void BeginHash(int type) {
    hashing_ = true;
    hash_spilled_ = false;
    hash_seed_ = static_cast<uint64_t>(type);
    hash_from_ = pos_;
    hash_offset_ = offset_;
  }
  void SpillHash() {
    if (!hash_spilled_) {
      if (!hash_state_) hash_state_ = XXH3_createState();
      XXH3_64bits_reset_withSeed(hash_state_, hash_seed_);
      hash_spilled_ = true;
    }
    XXH3_64bits_update(hash_state_, buf_.data() + hash_from_, len_ - hash_from_);
  }
  void EndHash(RdbEntry* e) {
    const char* from = buf_.data() + hash_from_;
    size_t n = pos_ - hash_from_;
    if (hash_spilled_) {
      XXH3_64bits_update(hash_state_, from, n);
      e->payload_hash = XXH3_64bits_digest(hash_state_);
    } else {
      e->payload_hash = XXH3_64bits_withSeed(from, n, hash_seed_);
    }
    e->payload_size = offset_ - hash_offset_;
    hashing_ = false;
  }
  Result<uint8_t> Byte() {
    char c;
    LB_RETURN_IF_ERROR(Read(&c, 1));
    return static_cast<uint8_t>(c);
  }
  Result<uint64_t> Fixed(int n) {
    unsigned char b[8];
    LB_RETURN_IF_ERROR(Read(reinterpret_cast<char*>(b), n));
    return Le(b, n);
  }
  // A length, or with *encoded an encoding number (0-3).
  Result<uint64_t> Length(bool* encoded = nullptr) {
    if (encoded) *encoded = false;
    LB_ASSIGN_OR_RETURN(uint8_t b, Byte());
    switch (b >> 6) {
      case 0:
        return b & 0x3f;
      case 1: {
        LB_ASSIGN_OR_RETURN(uint8_t c, Byte());
        return ((b & 0x3f) << 8) | c;
      }
      case 2: {
        if (b != 0x80 && b != 0x81) return Bad("unknown length encoding at byte " + std::to_string(offset_));
        unsigned char v[8];
        int n = b == 0x80 ? 4 : 8;
        LB_RETURN_IF_ERROR(Read(reinterpret_cast<char*>(v), n));
        return Be(v, n);
      }
      default:
        if (!encoded)
          return Bad("an encoded value where a length belongs at byte " + std::to_string(offset_));
        *encoded = true;
        return b & 0x3f;
    }
  }
  Result<uint64_t> Count(const char* what) {
    LB_ASSIGN_OR_RETURN(uint64_t n, Length());
    // Every element takes at least one byte: more than the input could hold
    // is damage (and no loop of 2^64 rounds).
    if (n > (uint64_t(1) << 40))
      return Bad(std::string(what) + " count " + std::to_string(n) + " is impossible");
    return n;
  }
  Result<std::string> String() {
    bool enc;
    LB_ASSIGN_OR_RETURN(uint64_t n, Length(&enc));
    if (enc) {
      switch (n) {
        case 0: {
          LB_ASSIGN_OR_RETURN(uint64_t v, Fixed(1));
          return std::to_string(SignExtend(v, 8));
        }
        case 1: {
          LB_ASSIGN_OR_RETURN(uint64_t v, Fixed(2));
          return std::to_string(SignExtend(v, 16));
        }
        case 2: {
          LB_ASSIGN_OR_RETURN(uint64_t v, Fixed(4));
          return std::to_string(SignExtend(v, 32));
        }
        case 3: {
          LB_ASSIGN_OR_RETURN(uint64_t clen, Length());
          LB_ASSIGN_OR_RETURN(uint64_t len, Length());
          if (clen > o_.max_string || len > o_.max_string) return Bad("LZF string larger than allowed");
          std::string packed(clen, '\0');
          LB_RETURN_IF_ERROR(Read(packed.data(), clen));
          std::string out;
          LB_RETURN_IF_ERROR(LzfDecompress(packed, len, &out));
          return out;
        }
        default:
          return Bad("unknown string encoding " + std::to_string(n));
      }
    }
    if (n > o_.max_string) {
      return Bad("string of " + std::to_string(n) + " bytes at byte " + std::to_string(offset_) +
                 " is larger than allowed");
    }
    std::string s(n, '\0');
    LB_RETURN_IF_ERROR(Read(s.data(), n));
    return s;
  }
  Result<double> BinaryDouble() {
    LB_ASSIGN_OR_RETURN(uint64_t bits, Fixed(8));
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  Result<double> OldDouble() {
    LB_ASSIGN_OR_RETURN(uint8_t len, Byte());
    if (len == 253) return std::nan("");
    if (len == 254) return INFINITY;
    if (len == 255) return -INFINITY;
    char buf[256];
    LB_RETURN_IF_ERROR(Read(buf, len));
    buf[len] = '\0';
    return std::strtod(buf, nullptr);
  }

  // --- values ------------------------------------------------------------
  Status Value(int type, RdbEntry* e);
  Status Elements(const std::vector<Elem>& el, int type, ValueDigest* d);
  Status Stream(int type, ValueDigest* d);
  Status ModuleValue(ValueDigest* d);

  RdbInput& in_;
  RdbOptions o_;
  std::string buf_;
  size_t pos_ = 0, len_ = 0, crc_from_ = 0;
  uint64_t offset_ = 0, crc_ = 0;
  std::string* raw_ = nullptr;
  bool hashing_ = false, hash_spilled_ = false;
  size_t hash_from_ = 0;
  uint64_t hash_seed_ = 0, hash_offset_ = 0;
  XXH3_state_t* hash_state_ = nullptr;
  int version_ = 0;
};

Status Parser::Elements(const std::vector<Elem>& el, int type, ValueDigest* d) {
  bool pairs = type == kTypeHashZipmap || type == kTypeHashZiplist || type == kTypeHashListpack ||
               type == kTypeZsetZiplist || type == kTypeZsetListpack;
  if (pairs && el.size() % 2 != 0) return Bad("odd number of elements in a hash or sorted set");
  for (size_t i = 0; i < el.size(); i += pairs ? 2 : 1) {
    switch (type) {
      case kTypeHashZipmap:
      case kTypeHashZiplist:
      case kTypeHashListpack:
        d->HashField(el[i].Text(), el[i + 1].Text());
        break;
      case kTypeZsetZiplist:
      case kTypeZsetListpack: {
        double score;
        if (!el[i + 1].ToDouble(&score)) return Bad("sorted set score is not a number");
        d->ZsetMember(el[i].Text(), score);
        break;
      }
      case kTypeSetIntset:
      case kTypeSetListpack:
        d->SetMember(el[i].Text());
        break;
      default:
        d->ListElement(el[i].Text());
        break;
    }
  }
  return Status::Ok();
}

Status Parser::ModuleValue(ValueDigest* d) {
  LB_ASSIGN_OR_RETURN(uint64_t module_id, Length());
  d->String(std::to_string(module_id));
  while (true) {
    LB_ASSIGN_OR_RETURN(uint64_t op, Length());
    switch (op) {
      case 0:
        return Status::Ok();  // EOF
      case 1:
      case 2: {
        LB_ASSIGN_OR_RETURN(uint64_t v, Length());
        d->String(std::to_string(v));
        break;
      }
      case 3: {
        LB_ASSIGN_OR_RETURN(uint64_t v, Fixed(4));
        d->String(std::to_string(v));
        break;
      }
      case 4: {
        LB_ASSIGN_OR_RETURN(uint64_t v, Fixed(8));
        d->String(std::to_string(v));
        break;
      }
      case 5: {
        LB_ASSIGN_OR_RETURN(std::string s, String());
        d->String(s);
        break;
      }
      default:
        return Bad("module data with unknown opcode " + std::to_string(op));
    }
  }
}

Status Parser::Stream(int type, ValueDigest* d) {
  LB_ASSIGN_OR_RETURN(uint64_t nodes, Count("stream node"));
  for (uint64_t i = 0; i < nodes; ++i) {
    LB_ASSIGN_OR_RETURN(std::string key, String());
    if (key.size() != 16) return Bad("stream node key is not a 128-bit id");
    const auto* kp = reinterpret_cast<const unsigned char*>(key.data());
    uint64_t base_ms = Be(kp, 8), base_seq = Be(kp + 8, 8);
    LB_ASSIGN_OR_RETURN(std::string lp, String());
    std::vector<Elem> el;
    LB_RETURN_IF_ERROR(ParseListpack(lp, &el));
    size_t at = 0;
    auto next_int = [&](int64_t* v) -> bool {
      if (at >= el.size() || !el[at].is_int) return false;
      *v = el[at++].i;
      return true;
    };
    int64_t count, deleted, nmaster;
    if (!next_int(&count) || !next_int(&deleted) || !next_int(&nmaster) || nmaster < 0 ||
        at + static_cast<size_t>(nmaster) > el.size()) {
      return Bad("stream node without its master entry");
    }
    std::vector<std::string> master;
    for (int64_t k = 0; k < nmaster; ++k) master.push_back(el[at++].Text());
    int64_t zero;
    if (!next_int(&zero) || zero != 0) return Bad("stream master entry not terminated");
    while (at < el.size()) {
      int64_t flags, ms_diff, seq_diff, nfields;
      if (!next_int(&flags) || !next_int(&ms_diff) || !next_int(&seq_diff))
        return Bad("stream entry cut short");
      std::string fv;
      if (flags & 2) {  // the master entry's fields
        if (at + master.size() > el.size()) return Bad("stream entry cut short");
        for (const auto& f : master) {
          AppendField(&fv, f);
          AppendField(&fv, el[at++].Text());
        }
      } else {
        if (!next_int(&nfields) || nfields < 0 || at + 2 * static_cast<size_t>(nfields) > el.size()) {
          return Bad("stream entry cut short");
        }
        for (int64_t k = 0; k < nfields; ++k) {
          AppendField(&fv, el[at++].Text());
          AppendField(&fv, el[at++].Text());
        }
      }
      int64_t lp_count;
      if (!next_int(&lp_count)) return Bad("stream entry cut short");
      if (!(flags & 1)) d->StreamEntry(base_ms + ms_diff, base_seq + seq_diff, fv);
    }
  }
  // Length, last id, (v2+) first id, max deleted id, entries added.
  int ids = type == kTypeStreamListpacks ? 3 : 8;
  for (int k = 0; k < ids; ++k) LB_RETURN_IF_ERROR(Length().status());
  LB_ASSIGN_OR_RETURN(uint64_t groups, Count("consumer group"));
  for (uint64_t g = 0; g < groups; ++g) {
    LB_RETURN_IF_ERROR(String().status());
    LB_RETURN_IF_ERROR(Length().status());
    LB_RETURN_IF_ERROR(Length().status());
    if (type != kTypeStreamListpacks) LB_RETURN_IF_ERROR(Length().status());  // entries read
    LB_ASSIGN_OR_RETURN(uint64_t pel, Count("pending entry"));
    for (uint64_t p = 0; p < pel; ++p) {
      char skip[24];
      LB_RETURN_IF_ERROR(Read(skip, 24));     // id, delivery time
      LB_RETURN_IF_ERROR(Length().status());  // delivery count
    }
    LB_ASSIGN_OR_RETURN(uint64_t consumers, Count("consumer"));
    for (uint64_t c = 0; c < consumers; ++c) {
      LB_RETURN_IF_ERROR(String().status());
      char skip[16];
      LB_RETURN_IF_ERROR(Read(skip, type == kTypeStreamListpacks3 ? 16 : 8));  // seen (and active) time
      LB_ASSIGN_OR_RETURN(uint64_t cpel, Count("consumer pending entry"));
      for (uint64_t p = 0; p < cpel; ++p) LB_RETURN_IF_ERROR(Read(skip, 16));
    }
  }
  return Status::Ok();
}

Status Parser::Value(int type, RdbEntry* e) {
  Kind kind;
  switch (type) {
    case kTypeString:
      kind = Kind::kString;
      break;
    case kTypeList:
    case kTypeListZiplist:
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      kind = Kind::kList;
      break;
    case kTypeSet:
    case kTypeSetIntset:
    case kTypeSetListpack:
      kind = Kind::kSet;
      break;
    case kTypeZset:
    case kTypeZset2:
    case kTypeZsetZiplist:
    case kTypeZsetListpack:
      kind = Kind::kZset;
      break;
    case kTypeHash:
    case kTypeHashZipmap:
    case kTypeHashZiplist:
    case kTypeHashListpack:
      kind = Kind::kHash;
      break;
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
    case kTypeStreamListpacks3:
      kind = Kind::kStream;
      break;
    case kTypeModule2:
      kind = Kind::kModule;
      break;
    case kTypeModulePreGa:
      return Bad("a module value of the pre-GA format (RDB type 6) cannot be read without the module");
    default:
      return Bad("unknown value type " + std::to_string(type) + " at byte " + std::to_string(offset_));
  }
  e->kind = kind;
  ValueDigest d(kind, o_.digests);
  switch (type) {
    case kTypeString: {
      LB_ASSIGN_OR_RETURN(std::string v, String());
      d.String(v);
      break;
    }
    case kTypeList:
    case kTypeSet: {
      LB_ASSIGN_OR_RETURN(uint64_t n, Count("element"));
      for (uint64_t i = 0; i < n; ++i) {
        LB_ASSIGN_OR_RETURN(std::string v, String());
        if (type == kTypeList)
          d.ListElement(v);
        else
          d.SetMember(v);
      }
      break;
    }
    case kTypeZset:
    case kTypeZset2: {
      LB_ASSIGN_OR_RETURN(uint64_t n, Count("element"));
      for (uint64_t i = 0; i < n; ++i) {
        LB_ASSIGN_OR_RETURN(std::string m, String());
        LB_ASSIGN_OR_RETURN(double score, type == kTypeZset2 ? BinaryDouble() : OldDouble());
        d.ZsetMember(m, score);
      }
      break;
    }
    case kTypeHash: {
      LB_ASSIGN_OR_RETURN(uint64_t n, Count("field"));
      for (uint64_t i = 0; i < n; ++i) {
        LB_ASSIGN_OR_RETURN(std::string f, String());
        LB_ASSIGN_OR_RETURN(std::string v, String());
        d.HashField(f, v);
      }
      break;
    }
    case kTypeListQuicklist:
    case kTypeListQuicklist2: {
      LB_ASSIGN_OR_RETURN(uint64_t nodes, Count("quicklist node"));
      for (uint64_t i = 0; i < nodes; ++i) {
        uint64_t container = 2;  // quicklist 1: always ziplists
        if (type == kTypeListQuicklist2) {
          LB_ASSIGN_OR_RETURN(container, Length());
        }
        LB_ASSIGN_OR_RETURN(std::string node, String());
        if (!o_.digests) continue;
        if (container == 1) {  // a plain node: one large element
          d.ListElement(node);
          continue;
        }
        if (container != 2) return Bad("quicklist node with container " + std::to_string(container));
        std::vector<Elem> el;
        LB_RETURN_IF_ERROR(type == kTypeListQuicklist ? ParseZiplist(node, &el) : ParseListpack(node, &el));
        LB_RETURN_IF_ERROR(Elements(el, type, &d));
      }
      break;
    }
    case kTypeHashZipmap:
    case kTypeListZiplist:
    case kTypeSetIntset:
    case kTypeZsetZiplist:
    case kTypeHashZiplist:
    case kTypeHashListpack:
    case kTypeZsetListpack:
    case kTypeSetListpack: {
      LB_ASSIGN_OR_RETURN(std::string blob, String());
      if (!o_.digests) break;
      std::vector<Elem> el;
      Status s = type == kTypeHashZipmap  ? ParseZipmap(blob, &el)
                 : type == kTypeSetIntset ? ParseIntset(blob, &el)
                 : (type == kTypeListZiplist || type == kTypeZsetZiplist || type == kTypeHashZiplist)
                     ? ParseZiplist(blob, &el)
                     : ParseListpack(blob, &el);
      LB_RETURN_IF_ERROR(s);
      LB_RETURN_IF_ERROR(Elements(el, type, &d));
      break;
    }
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
    case kTypeStreamListpacks3:
      LB_RETURN_IF_ERROR(Stream(type, &d));
      break;
    case kTypeModule2:
      LB_RETURN_IF_ERROR(ModuleValue(&d));
      break;
  }
  e->digest = d.Finish();
  e->elements = d.count();
  return Status::Ok();
}

Result<RdbSummary> Parser::Run(const std::function<Status(RdbEntry&)>& on_entry) {
  RdbSummary sum;
  char magic[9];
  LB_RETURN_IF_ERROR(Read(magic, 9));
  if (std::memcmp(magic, "REDIS", 5) != 0) return Bad("not an RDB file (no REDIS magic)");
  for (int i = 5; i < 9; ++i) {
    if (magic[i] < '0' || magic[i] > '9') return Bad("not an RDB file (bad version)");
  }
  version_ = std::atoi(std::string(magic + 5, 4).c_str());
  if (version_ < 1 || version_ > 12)
    return Bad("RDB version " + std::to_string(version_) + " is not supported");
  sum.version = version_;
  int db = 0;
  int64_t expire = -1;
  while (true) {
    LB_ASSIGN_OR_RETURN(uint8_t op, Byte());
    switch (op) {
      case kOpEof: {
        if (version_ >= 5) {
          crc_ = Crc64(crc_, std::string_view(buf_.data() + crc_from_, pos_ - crc_from_));
          crc_from_ = pos_;
          uint64_t want = crc_;
          LB_ASSIGN_OR_RETURN(uint64_t got, Fixed(8));
          crc_from_ = pos_;  // the checksum is not part of itself
          if (got != 0) {
            if (got != want) return Bad("checksum does not match (the file is damaged)");
            sum.checksum_checked = true;
          }
        }
        sum.bytes = offset_;
        return sum;
      }
      case kOpAux: {
        LB_ASSIGN_OR_RETURN(std::string k, String());
        LB_ASSIGN_OR_RETURN(std::string v, String());
        sum.aux[k] = v;
        continue;
      }
      case kOpResizeDb:
        LB_RETURN_IF_ERROR(Length().status());
        LB_RETURN_IF_ERROR(Length().status());
        continue;
      case kOpExpireMs: {
        LB_ASSIGN_OR_RETURN(uint64_t ms, Fixed(8));
        expire = static_cast<int64_t>(ms);
        continue;
      }
      case kOpExpireSec: {
        LB_ASSIGN_OR_RETURN(uint64_t s, Fixed(4));
        expire = static_cast<int64_t>(s) * 1000;
        continue;
      }
      case kOpSelectDb: {
        LB_ASSIGN_OR_RETURN(uint64_t n, Length());
        if (n > 1000000) return Bad("database number " + std::to_string(n) + " is impossible");
        db = static_cast<int>(n);
        continue;
      }
      case kOpFreq:
        LB_RETURN_IF_ERROR(Byte().status());
        continue;
      case kOpIdle:
        LB_RETURN_IF_ERROR(Length().status());
        continue;
      case kOpSlotInfo:
        for (int k = 0; k < 3; ++k) LB_RETURN_IF_ERROR(Length().status());
        continue;
      case kOpFunction2: {
        LB_ASSIGN_OR_RETURN(std::string code, String());
        if (o_.capture_raw) sum.function_code.push_back(std::move(code));
        ++sum.functions;
        continue;
      }
      case kOpFunctionPreGa:
        return Bad("functions in the pre-GA format of Redis 7.0 release candidates");
      case kOpModuleAux: {
        ValueDigest ignore(Kind::kModule);
        LB_RETURN_IF_ERROR(Length().status());  // module id
        LB_RETURN_IF_ERROR(Length().status());  // "when" opcode
        LB_RETURN_IF_ERROR(Length().status());  // when
        // The module's data in the self-describing opcode form, then EOF.
        while (true) {
          LB_ASSIGN_OR_RETURN(uint64_t mop, Length());
          if (mop == 0) break;
          if (mop == 1 || mop == 2)
            LB_RETURN_IF_ERROR(Length().status());
          else if (mop == 3)
            LB_RETURN_IF_ERROR(Fixed(4).status());
          else if (mop == 4)
            LB_RETURN_IF_ERROR(Fixed(8).status());
          else if (mop == 5)
            LB_RETURN_IF_ERROR(String().status());
          else
            return Bad("module aux data with unknown opcode " + std::to_string(mop));
        }
        ++sum.modules_aux;
        continue;
      }
      default:
        break;
    }
    RdbEntry e;
    e.db = db;
    e.rdb_type = op;
    e.rdb_version = version_;
    e.expire_ms = expire;
    expire = -1;
    LB_ASSIGN_OR_RETURN(e.key, String());
    if (o_.capture_raw) {
      e.raw.assign(1, static_cast<char>(op));
      raw_ = &e.raw;
    }
    if (o_.capture_raw || o_.hash_raw) BeginHash(op);
    Status s = Value(op, &e);
    raw_ = nullptr;
    if (hashing_) {
      if (s.ok()) EndHash(&e);
      hashing_ = false;
    }
    LB_RETURN_IF_ERROR(s);
    sum.fingerprint.AddKey(db, e.key, e.kind, e.digest, e.expire_ms >= 0);
    LB_RETURN_IF_ERROR(on_entry(e));
  }
}

}  // namespace

Result<size_t> StringInput::ReadSome(char* buf, size_t n) {
  size_t k = std::min(n, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

Result<RdbSummary> ParseRdb(RdbInput& in, const RdbOptions& options,
                            const std::function<Status(RdbEntry&)>& on_entry) {
  Parser p(in, options);
  return p.Run(on_entry);
}

std::string DumpPayload(const std::string& raw, int rdb_version) {
  std::string out = raw;
  out += static_cast<char>(rdb_version & 0xff);
  out += static_cast<char>((rdb_version >> 8) & 0xff);
  uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((crc >> (8 * i)) & 0xff);
  return out;
}

}  // namespace lifeboat::redis
