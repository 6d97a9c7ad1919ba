// recovery_target_time values: the forms of PostgreSQL's timestamptz input
// that people and scripts give, parsed here so that lifeboat picks the base
// backup PostgreSQL will recover from, and written back in one normal form
// so that PostgreSQL and lifeboat agree on the instant.
//
// Accepted (case-insensitive, as PostgreSQL accepts them):
//   date:  YYYY-MM-DD  (alone: midnight)
//   then:  "T" or spaces, HH:MM[:SS[.fraction]]
//   zone:  optional, after optional spaces: Z, UTC, GMT, UT, Zulu; +HH,
//          +HHMM, +HH:MM, +HH:MM:SS (and -); a zone abbreviation PostgreSQL's
//          default set knows with a fixed offset (EST, PDT, CET, ...); an IANA
//          name (Europe/Berlin, America/New_York) from the system's tzdata.
// Without a zone the time is in `default_zone`, the server's TimeZone
// setting (PostgreSQL reads it so too). Anything else — other date orders,
// words such as "now" or "yesterday", out-of-range fields — is refused.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/timefmt.h"

namespace lifeboat::pg {

// kInvalidArgument, naming the value and the accepted forms, for the rest.
Result<Timestamp> ParseTargetTime(std::string_view text, std::string_view default_zone);

// "2026-12-02 07:38:38.6636+00": UTC, the fraction without trailing zeros.
std::string FormatTargetTime(Timestamp t);

}  // namespace lifeboat::pg
