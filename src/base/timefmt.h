// Timestamps as restic writes them: RFC 3339 with nanoseconds and trailing
// zeros of the fraction removed ("2024-05-01T12:00:00.5Z").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lifeboat {

// A point in time as seconds and nanoseconds since the Unix epoch (UTC).
struct Timestamp {
  int64_t sec = 0;
  int32_t nsec = 0;  // 0 <= nsec < 1e9

  bool operator==(const Timestamp&) const = default;
  auto operator<=>(const Timestamp&) const = default;
};

Timestamp Now();

// Formats in UTC with a "Z" suffix.
std::string FormatRfc3339(Timestamp t);
// Formats for people in local time: "2024-05-01 14:00:00".
std::string FormatLocal(Timestamp t);
// Parses RFC 3339 with an optional fraction and a "Z" or "+hh:mm" offset.
std::optional<Timestamp> ParseRfc3339(std::string_view s);
// Parses the forms people type: "2024-05-01", "2024-05-01 12:30[:45]",
// "2024-05-01T12:30:45Z" and RFC 3339. Times without an offset are local.
std::optional<Timestamp> ParseUserTime(std::string_view s);

// A duration for people: "90", "90s", "15m", "1.5h", "7d" (a bare number is
// seconds), as seconds; nullopt for anything else or a negative value.
std::optional<double> ParseDuration(std::string_view s);

}  // namespace lifeboat
