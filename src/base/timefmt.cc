#include "base/timefmt.h"

#include <cstdlib>

#include <cstdio>
#include <ctime>

namespace lifeboat {
namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Timestamp Now() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Timestamp{ts.tv_sec, static_cast<int32_t>(ts.tv_nsec)};
}

std::string FormatRfc3339(Timestamp t) {
  time_t secs = static_cast<time_t>(t.sec);
  tm parts;
  gmtime_r(&secs, &parts);
  // Four-digit years, zero-padded, as RFC 3339 (and restic's readers) need
  // them; found by the tree fuzzer (year 622 was written as "622").
  // Times outside years 0000-9999 cannot be written; they are clamped.
  long year = static_cast<long>(parts.tm_year) + 1900;
  char buf[64];
  if (year < 0) {
    std::snprintf(buf, sizeof buf, "0000-01-01T00:00:00");
  } else if (year > 9999) {
    std::snprintf(buf, sizeof buf, "9999-12-31T23:59:59");
  } else {
    std::snprintf(buf, sizeof buf, "%04ld-%02d-%02dT%02d:%02d:%02d", year, parts.tm_mon + 1, parts.tm_mday,
                  parts.tm_hour, parts.tm_min, parts.tm_sec);
  }
  std::string out(buf);
  if (year < 0 || year > 9999) return out + 'Z';
  if (t.nsec != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09d", t.nsec);
    std::string f(frac);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

std::string FormatLocal(Timestamp t) {
  time_t secs = static_cast<time_t>(t.sec);
  tm parts;
  localtime_r(&secs, &parts);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
  return std::string(buf, n);
}

std::optional<Timestamp> ParseRfc3339(std::string_view s) {
  tm parts{};
  int year, mon, day, hour, min, sec;
  if (!ParseDigits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' ||
      !ParseDigits(s, 5, 2, &mon) || s[7] != '-' || !ParseDigits(s, 8, 2, &day) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !ParseDigits(s, 11, 2, &hour) ||
      s[13] != ':' || !ParseDigits(s, 14, 2, &min) || s[16] != ':' ||
      !ParseDigits(s, 17, 2, &sec)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int32_t nsec = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) {
        nsec = nsec * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nsec *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, &om)) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  parts.tm_year = year - 1900;
  parts.tm_mon = mon - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = min;
  parts.tm_sec = sec;
  int64_t secs = timegm(&parts);
  return Timestamp{secs - offset, nsec};
}

std::optional<Timestamp> ParseUserTime(std::string_view s) {
  if (auto t = ParseRfc3339(s)) return t;
  tm parts{};
  int year, mon, day, hour = 0, min = 0, sec = 0;
  if (!ParseDigits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' ||
      !ParseDigits(s, 5, 2, &mon) || s[7] != '-' || !ParseDigits(s, 8, 2, &day)) {
    return std::nullopt;
  }
  if (s.size() > 10) {
    if ((s[10] != ' ' && s[10] != 'T') || !ParseDigits(s, 11, 2, &hour) || s.size() < 16 ||
        s[13] != ':' || !ParseDigits(s, 14, 2, &min)) {
      return std::nullopt;
    }
    if (s.size() > 16 && (s[16] != ':' || !ParseDigits(s, 17, 2, &sec) || s.size() != 19)) {
      return std::nullopt;
    }
  }
  parts.tm_year = year - 1900;
  parts.tm_mon = mon - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = min;
  parts.tm_sec = sec;
  parts.tm_isdst = -1;
  return Timestamp{static_cast<int64_t>(mktime(&parts)), 0};
}

std::optional<double> ParseDuration(std::string_view s) {
  std::string text(s);
  char* end = nullptr;
  double n = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || n < 0 || !(n == n)) return std::nullopt;
  std::string unit(end);
  double mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : -1;
  if (mult < 0) return std::nullopt;
  return n * mult;
}

}  // namespace lifeboat
