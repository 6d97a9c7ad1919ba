#include "scheduler/schedule.h"

#include <time.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <vector>

namespace lifeboat {
namespace {

constexpr int64_t kHorizonMinutes = int64_t(8) * 366 * 24 * 60;  // covers every Feb 29

struct FieldSpec {
  const char* name;
  int min, max;
  std::array<const char*, 12> names;  // for min, min+1, ...; empty if none
};

const FieldSpec kFields[5] = {
    {"minute", 0, 59, {}},
    {"hour", 0, 23, {}},
    {"day of month", 1, 31, {}},
    {"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
    {"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
};

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::optional<int> Value(const FieldSpec& f, const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    char* end = nullptr;
    long v = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || v < f.min || v > f.max) return std::nullopt;
    return static_cast<int>(v);
  }
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < 12 && f.names[i] != nullptr; ++i) {
    if (lower == f.names[i]) return f.min + i;
  }
  return std::nullopt;
}

// Sets the field's values in `bits` (index = value); false if malformed.
bool ParseField(const FieldSpec& f, const std::string& text, std::vector<bool>* bits) {
  bits->assign(f.max + 1, false);
  for (const std::string& item : Split(text, ',')) {
    std::vector<std::string> parts = Split(item, '/');
    if (parts.size() > 2) return false;
    int step = 1;
    if (parts.size() == 2) {
      char* end = nullptr;
      long s = std::strtol(parts[1].c_str(), &end, 10);
      if (parts[1].empty() || *end != '\0' || s < 1 || s > f.max) return false;
      step = static_cast<int>(s);
    }
    int lo, hi;
    if (parts[0] == "*") {
      lo = f.min, hi = f.max;
    } else {
      std::vector<std::string> range = Split(parts[0], '-');
      if (range.size() > 2) return false;
      auto a = Value(f, range[0]);
      if (!a) return false;
      lo = *a;
      hi = parts.size() == 2 ? f.max : lo;  // "5/10": from 5 to the end
      if (range.size() == 2) {
        auto b = Value(f, range[1]);
        if (!b || *b < lo) return false;
        hi = *b;
      }
    }
    for (int v = lo; v <= hi; v += step) (*bits)[v] = true;
  }
  return true;
}

struct Civil {
  int year, month, mday, hour, minute, wday;  // month 1..12, wday 0 = Sunday
};

Civil ToCivil(int64_t minute) {
  time_t t = static_cast<time_t>(minute * 60);
  tm c{};
  gmtime_r(&t, &c);
  return {c.tm_year + 1900, c.tm_mon + 1, c.tm_mday, c.tm_hour, c.tm_min, c.tm_wday};
}

// Minutes since the epoch of a UTC date and time; out-of-range fields roll
// over (month 13 is January of the next year, day 0 the month's eve).
int64_t FromCivil(int year, int month, int mday, int hour, int minute) {
  tm c{};
  c.tm_year = year - 1900;
  c.tm_mon = month - 1;
  c.tm_mday = mday;
  c.tm_hour = hour;
  c.tm_min = minute;
  return static_cast<int64_t>(timegm(&c)) / 60;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<Schedule> Schedule::Parse(std::string_view text) {
  Schedule s;
  s.text_ = std::string(text);
  auto bad = [&](const std::string& why) { return InvalidArgument("schedule \"" + s.text_ + "\": " + why); };
  std::string t(text);
  if (t.starts_with("@every")) {
    std::string d = t.substr(6);
    while (!d.empty() && d.front() == ' ') d.erase(0, 1);
    auto secs = ParseDuration(d);
    if (!secs || *secs < 1 || *secs != static_cast<double>(static_cast<int64_t>(*secs))) {
      return bad("\"@every\" needs a duration of whole seconds, at least one (\"6h\", \"90m\", \"30s\")");
    }
    s.every_ = static_cast<int64_t>(*secs);
    return s;
  }
  static const std::pair<const char*, const char*> kMacros[] = {
      {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
      {"@weekly", "0 0 * * 0"},   {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"},
  };
  if (t.starts_with("@")) {
    bool found = false;
    for (const auto& [name, expr] : kMacros) {
      if (t == name) t = expr, found = true;
    }
    if (!found)
      return bad("unknown macro (use @hourly, @daily, @weekly, @monthly, @yearly or \"@every 6h\")");
  }
  std::vector<std::string> fields;
  for (std::string& f : Split(t, ' ')) {
    if (!f.empty()) fields.push_back(std::move(f));
  }
  if (fields.size() != 5) {
    return bad("expected 5 fields (minute hour day-of-month month day-of-week), found " +
               std::to_string(fields.size()));
  }
  std::vector<bool> bits[5];
  for (int i = 0; i < 5; ++i) {
    const FieldSpec& f = kFields[i];
    if (!ParseField(f, fields[i], &bits[i])) {
      return bad(std::string(f.name) + " \"" + fields[i] + "\" is not a value, range, list or step in " +
                 std::to_string(f.min) + "-" + std::to_string(f.max));
    }
  }
  for (int v = 0; v < 60; ++v) s.minutes_[v] = bits[0][v];
  for (int v = 0; v < 24; ++v) s.hours_[v] = bits[1][v];
  for (int v = 1; v <= 31; ++v) s.mdays_[v] = bits[2][v];
  for (int v = 1; v <= 12; ++v) s.months_[v] = bits[3][v];
  for (int v = 0; v <= 7; ++v) {
    if (bits[4][v]) s.wdays_[v % 7] = true;
  }
  s.mday_star_ = fields[2].starts_with("*");
  s.wday_star_ = fields[4].starts_with("*");
  if (!s.Next(Timestamp{0, 0})) return bad("never fires (no such day in the months given)");
  return s;
}

bool Schedule::DayMatches(int mday, int wday) const {
  bool by_mday = mdays_[mday], by_wday = wdays_[wday];
  if (!mday_star_ && !wday_star_) return by_mday || by_wday;
  return by_mday && by_wday;
}

std::optional<Timestamp> Schedule::Next(Timestamp t) const {
  if (every_ > 0) return Timestamp{(FloorDiv(t.sec, every_) + 1) * every_, 0};
  int64_t m = FloorDiv(t.sec, 60) + 1;  // the first whole minute after t
  for (int64_t limit = m + kHorizonMinutes; m < limit;) {
    Civil c = ToCivil(m);
    if (!months_[c.month]) {
      m = FromCivil(c.year, c.month + 1, 1, 0, 0);
    } else if (!DayMatches(c.mday, c.wday)) {
      m = FromCivil(c.year, c.month, c.mday + 1, 0, 0);
    } else if (!hours_[c.hour]) {
      m = FromCivil(c.year, c.month, c.mday, c.hour + 1, 0);
    } else if (!minutes_[c.minute]) {
      ++m;
    } else {
      return Timestamp{m * 60, 0};
    }
  }
  return std::nullopt;
}

std::optional<Timestamp> Schedule::Previous(Timestamp t) const {
  if (every_ > 0) return Timestamp{FloorDiv(t.sec, every_) * every_, 0};
  int64_t m = FloorDiv(t.sec, 60);  // the last whole minute at or before t
  for (int64_t limit = m - kHorizonMinutes; m > limit;) {
    Civil c = ToCivil(m);
    if (!months_[c.month]) {
      m = FromCivil(c.year, c.month, 1, 0, 0) - 1;  // the last minute of the month before
    } else if (!DayMatches(c.mday, c.wday)) {
      m = FromCivil(c.year, c.month, c.mday, 0, 0) - 1;
    } else if (!hours_[c.hour]) {
      m = FromCivil(c.year, c.month, c.mday, c.hour, 0) - 1;
    } else if (!minutes_[c.minute]) {
      --m;
    } else {
      return Timestamp{m * 60, 0};
    }
  }
  return std::nullopt;
}

}  // namespace lifeboat
