#include "repo/go_quote.h"

#include <cstdint>

namespace lifeboat {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Decodes the valid UTF-8 sequence at s[i] into *cp and returns its length,
// or 0 if the bytes there are not valid UTF-8 (overlong forms, surrogates
// and values past U+10FFFF included, as Go's utf8.DecodeRune refuses them).
size_t DecodeRune(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t len;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2, v = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, v = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, v = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3f);
  }
  if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff))) return 0;
  if (v >= 0xd800 && v <= 0xdfff) return 0;
  *cp = v;
  return len;
}

void AppendRune(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Runes Go's unicode.IsPrint refuses that a file name may plausibly hold:
// C1 controls, the soft hyphen, the no-break and other spaces of category
// Zs (Go prints only U+0020), the zero-width and direction marks, the line
// and paragraph separators, noncharacters at the end of the BMP, and the
// byte order mark.
bool IsPrintRune(uint32_t cp) {
  if (cp >= 0x80 && cp <= 0xa0) return false;
  if (cp == 0xad || cp == 0x1680 || cp == 0x180e) return false;
  if (cp >= 0x2000 && cp <= 0x200f) return false;
  if (cp >= 0x2028 && cp <= 0x202f) return false;
  if (cp >= 0x205f && cp <= 0x206f) return false;
  if (cp == 0x3000 || cp == 0xfeff) return false;
  if (cp >= 0xfff0 && cp <= 0xfffb) return false;
  if (cp == 0xfffe || cp == 0xffff) return false;
  if (cp >= 0xe000 && cp <= 0xf8ff) return false;    // private use
  if (cp >= 0xf0000) return false;                   // private use planes
  if (cp >= 0xe0000 && cp <= 0xe007f) return false;  // tags
  return true;
}

void AppendHexEscape(std::string* out, char kind, uint32_t v, int digits) {
  *out += '\\';
  *out += kind;
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) *out += kHex[(v >> shift) & 15];
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads `digits` hex digits at q[*i]; false if they are not there.
bool ReadHex(std::string_view q, size_t* i, int digits, uint32_t* v) {
  if (*i + digits > q.size()) return false;
  *v = 0;
  for (int k = 0; k < digits; ++k) {
    int h = HexValue(q[*i + k]);
    if (h < 0) return false;
    *v = (*v << 4) | static_cast<uint32_t>(h);
  }
  *i += digits;
  return true;
}

}  // namespace

std::string GoQuote(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + 2);
  for (size_t i = 0; i < raw.size();) {
    uint32_t cp = 0;
    size_t len = DecodeRune(raw, i, &cp);
    if (len == 0) {  // not UTF-8: the byte itself
      AppendHexEscape(&out, 'x', static_cast<unsigned char>(raw[i]), 2);
      ++i;
      continue;
    }
    i += len;
    switch (cp) {
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '"':
        out += "\\\"";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || cp == 0x7f) {
      AppendHexEscape(&out, 'x', cp, 2);
    } else if (cp < 0x80 || IsPrintRune(cp)) {
      AppendRune(&out, cp);
    } else if (cp < 0x10000) {
      AppendHexEscape(&out, 'u', cp, 4);
    } else {
      AppendHexEscape(&out, 'U', cp, 8);
    }
  }
  return out;
}

std::optional<std::string> GoUnquote(std::string_view q) {
  std::string out;
  out.reserve(q.size());
  for (size_t i = 0; i < q.size();) {
    char c = q[i];
    if (c == '"' || c == '\n') return std::nullopt;
    if (c != '\\') {
      uint32_t cp;
      size_t len = DecodeRune(q, i, &cp);
      // Go's Unquote takes invalid UTF-8 as U+FFFD.
      if (len == 0) {
        AppendRune(&out, 0xfffd);
        ++i;
      } else {
        out.append(q.substr(i, len));
        i += len;
      }
      continue;
    }
    if (++i >= q.size()) return std::nullopt;
    char e = q[i++];
    uint32_t v = 0;
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'x':
        if (!ReadHex(q, &i, 2, &v)) return std::nullopt;
        out += static_cast<char>(v);  // a byte, not a rune
        break;
      case 'u':
      case 'U':
        if (!ReadHex(q, &i, e == 'u' ? 4 : 8, &v)) return std::nullopt;
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return std::nullopt;
        AppendRune(&out, v);
        break;
      default:
        if (e < '0' || e > '7') return std::nullopt;
        if (i + 2 > q.size()) return std::nullopt;
        v = static_cast<uint32_t>(e - '0');
        for (int k = 0; k < 2; ++k) {
          char d = q[i++];
          if (d < '0' || d > '7') return std::nullopt;
          v = v * 8 + static_cast<uint32_t>(d - '0');
        }
        if (v > 255) return std::nullopt;
        out += static_cast<char>(v);
        break;
    }
  }
  return out;
}

}  // namespace lifeboat
