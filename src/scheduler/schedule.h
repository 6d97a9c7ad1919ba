// When a job runs: a cron expression or an interval, always in UTC (the
// plan's times are UTC, and UTC has no daylight-saving gaps or repeats).
//
//   "0 2 * * *"     5 fields: minute hour day-of-month month day-of-week,
//                   each *, a number, a range a-b, a list a,b,c, and a step
//                   (*/15, 1-30/2, 5/10 = 5-max/10); months jan..dec and
//                   days sun..sat by name too, Sunday as 0 or 7
//   "@hourly" "@daily" "@midnight" "@weekly" "@monthly" "@yearly" "@annually"
//   "@every 6h"     a fixed interval ("90m", "1.5h", "2d", "30s"; whole
//                   seconds, at least one), on a grid counted from 1970-01-01 00:00 UTC,
//                   so "@every 6h" fires at 00:00, 06:00, 12:00 and 18:00
//
// Day-of-month and day-of-week combine as in Vixie cron (and cronie): when
// both are restricted (neither starts with '*'), a day matches either one;
// otherwise both must match. Written here because no Debian library parses
// cron expressions.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/timefmt.h"

namespace lifeboat {

class Schedule {
 public:
  // kInvalidArgument naming the field and the text for anything malformed,
  // and for an expression that never fires ("0 0 31 2 *").
  static Result<Schedule> Parse(std::string_view text);

  // The first fire time strictly after `t` (whole minutes for cron,
  // multiples of the interval for @every). nullopt only for a schedule that
  // cannot fire, which Parse refuses.
  std::optional<Timestamp> Next(Timestamp t) const;
  // The last fire time at or before `t`: the run a daemon that was down at
  // that moment missed. nullopt if there is none in the 8 years before.
  std::optional<Timestamp> Previous(Timestamp t) const;

  const std::string& text() const { return text_; }
  // Seconds between runs for @every, else 0.
  int64_t interval() const { return every_; }

 private:
  bool DayMatches(int mday, int wday) const;

  std::string text_;
  int64_t every_ = 0;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> mdays_;   // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> wdays_;    // 0 = Sunday
  bool mday_star_ = false, wday_star_ = false;
};

}  // namespace lifeboat
