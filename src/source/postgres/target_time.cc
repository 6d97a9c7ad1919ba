#include "source/postgres/target_time.h"

#include <strings.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>

namespace lifeboat::pg {
namespace {

struct Fields {
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  int32_t nsec = 0;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool Take(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool Spaces() {
    size_t start = i_;
    while (!done() && s_[i_] == ' ') ++i_;
    return i_ > start;
  }
  // Exactly n digits.
  bool Digits(int n, int* out) {
    int v = 0;
    for (int k = 0; k < n; ++k) {
      if (done() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      v = v * 10 + (s_[i_++] - '0');
    }
    *out = v;
    return true;
  }
  // One or more digits as a fraction of a second, in nanoseconds.
  bool Fraction(int32_t* nsec) {
    int digits = 0;
    int32_t v = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
      if (digits < 9) v = v * 10 + (s_[i_] - '0'), ++digits;
      ++i_;
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) v *= 10;
    *nsec = v;
    return true;
  }
  std::string_view Rest() const { return s_.substr(i_); }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// Abbreviations of PostgreSQL's "Default" timezone_abbreviations set with a
// fixed offset, the ones people type.
struct Abbrev {
  const char* name;
  int offset_minutes;
};
constexpr Abbrev kAbbrevs[] = {
    {"UTC", 0},    {"GMT", 0},    {"UT", 0},     {"Z", 0},       {"ZULU", 0},    {"WET", 0},    {"WEST", 60},
    {"BST", 60},   {"CET", 60},   {"CEST", 120}, {"MET", 60},    {"MEST", 120},  {"EET", 120},  {"EEST", 180},
    {"MSK", 180},  {"IST", 120},  {"EST", -300}, {"EDT", -240},  {"CST", -360},  {"CDT", -300}, {"MST", -420},
    {"MDT", -360}, {"PST", -480}, {"PDT", -420}, {"AKST", -540}, {"AKDT", -480}, {"HST", -600}, {"JST", 540},
    {"KST", 540},  {"AEST", 600}, {"AEDT", 660}, {"ACST", 570},  {"AWST", 480},  {"NZST", 720}, {"NZDT", 780},
};

std::optional<int> AbbrevOffset(std::string_view name) {
  for (const Abbrev& a : kAbbrevs) {
    if (name.size() == std::string_view(a.name).size() &&
        strncasecmp(name.data(), a.name, name.size()) == 0) {
      return a.offset_minutes;
    }
  }
  return std::nullopt;
}

// An IANA zone name with a file in the system's tzdata (and nothing that
// could climb out of it).
bool IsZoneName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+')
      return false;
  }
  struct stat st;
  return stat(("/usr/share/zoneinfo/" + std::string(name)).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Wall-clock fields in an IANA zone to seconds since the epoch. mktime reads
// TZ, a process-wide setting: one caller at a time, TZ put back after.
int64_t ZoneToEpoch(const Fields& f, const std::string& zone) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", zone.c_str(), 1);
  tzset();
  tm parts{};
  parts.tm_year = f.year - 1900;
  parts.tm_mon = f.mon - 1;
  parts.tm_mday = f.day;
  parts.tm_hour = f.hour;
  parts.tm_min = f.min;
  parts.tm_sec = f.sec;
  parts.tm_isdst = -1;
  int64_t secs = mktime(&parts);
  if (old)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
  return secs;
}

int64_t UtcEpoch(const Fields& f) {
  tm parts{};
  parts.tm_year = f.year - 1900;
  parts.tm_mon = f.mon - 1;
  parts.tm_mday = f.day;
  parts.tm_hour = f.hour;
  parts.tm_min = f.min;
  parts.tm_sec = f.sec;
  return timegm(&parts);
}

bool DaysInRange(const Fields& f) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (f.mon < 1 || f.mon > 12 || f.day < 1 || f.day > kDays[f.mon - 1]) return false;
  bool leap = (f.year % 4 == 0 && f.year % 100 != 0) || f.year % 400 == 0;
  if (f.mon == 2 && f.day == 29 && !leap) return false;
  return f.hour <= 24 && f.min <= 59 && f.sec <= 60 && !(f.hour == 24 && (f.min || f.sec || f.nsec));
}

// A numeric offset after its sign: HH, HHMM, HH:MM or HH:MM:SS.
bool NumericOffset(Scanner& sc, int* seconds) {
  int h = 0, m = 0, s = 0;
  if (!sc.Digits(2, &h)) return false;
  if (sc.Take(':')) {
    if (!sc.Digits(2, &m)) return false;
    if (sc.Take(':') && !sc.Digits(2, &s)) return false;
  } else if (std::isdigit(static_cast<unsigned char>(sc.peek()))) {
    if (!sc.Digits(2, &m)) return false;
  }
  if (h > 15 || m > 59 || s > 59) return false;
  *seconds = h * 3600 + m * 60 + s;
  return true;
}

Status Refuse(std::string_view text, std::string_view why) {
  return InvalidArgument("--to-time \"" + std::string(text) + "\": " + std::string(why) +
                         " (give YYYY-MM-DD[ HH:MM[:SS[.frac]]][ ZONE], ZONE as +HH[:MM], Z, UTC, an "
                         "abbreviation such as EST or an IANA name such as Europe/Berlin)");
}

}  // namespace

Result<Timestamp> ParseTargetTime(std::string_view text, std::string_view default_zone) {
  Scanner sc(text);
  sc.Spaces();
  Fields f;
  if (!sc.Digits(4, &f.year) || !sc.Take('-') || !sc.Digits(2, &f.mon) || !sc.Take('-') ||
      !sc.Digits(2, &f.day)) {
    return Refuse(text, "not a date in ISO form");
  }
  bool sep = sc.Take('T') || sc.Take('t');
  if (!sep) sep = sc.Spaces();
  if (sep && std::isdigit(static_cast<unsigned char>(sc.peek()))) {
    if (!sc.Digits(2, &f.hour) || !sc.Take(':') || !sc.Digits(2, &f.min))
      return Refuse(text, "not a time of day");
    if (sc.Take(':')) {
      if (!sc.Digits(2, &f.sec)) return Refuse(text, "not a time of day");
      if (sc.Take('.') && !sc.Fraction(&f.nsec)) return Refuse(text, "a fraction without digits");
    }
  }
  if (!DaysInRange(f)) return Refuse(text, "a field is out of range");
  sc.Spaces();
  std::optional<int64_t> offset;  // seconds east of UTC
  std::string zone;
  if (!sc.done()) {
    char c = sc.peek();
    if (c == '+' || c == '-') {
      sc.Take(c);
      int s;
      if (!NumericOffset(sc, &s)) return Refuse(text, "not a UTC offset");
      offset = c == '-' ? -s : s;
    } else {
      std::string_view name = sc.Rest();
      while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
      if (auto m = AbbrevOffset(name)) {
        offset = *m * 60;
      } else if (IsZoneName(name)) {
        zone = std::string(name);
      } else {
        return Refuse(text, "unknown time zone \"" + std::string(name) + "\"");
      }
      sc = Scanner("");
    }
    sc.Spaces();
    if (!sc.done()) return Refuse(text, "unexpected text after the time");
  }
  if (!offset && zone.empty()) {
    std::string_view dz = default_zone.empty() ? std::string_view("UTC") : default_zone;
    if (auto m = AbbrevOffset(dz))
      offset = *m * 60;
    else if (IsZoneName(dz))
      zone = std::string(dz);
    else
      return InvalidArgument("--to-time \"" + std::string(text) + "\" has no time zone, and the server's (" +
                             std::string(dz) + ") is unknown here: give one");
  }
  int64_t secs = offset ? UtcEpoch(f) - *offset : ZoneToEpoch(f, zone);
  return Timestamp{secs, f.nsec};
}

std::string FormatTargetTime(Timestamp t) {
  time_t secs = static_cast<time_t>(t.sec);
  tm parts;
  gmtime_r(&secs, &parts);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
  std::string out(buf, n);
  if (t.nsec != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09d", t.nsec);
    std::string f(frac);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "+00";
}

}  // namespace lifeboat::pg
