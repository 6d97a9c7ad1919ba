// Node names as restic stores them: Go's strconv.Quote without the outer
// quotes, inside the JSON string. restic 0.14 quotes every name this way, so
// a name that is not UTF-8 survives (the byte 0xe9 is written as the four
// characters \xe9) and a name with a backslash or a quote is escaped once
// more. Written by hand: it is a Go library's format, no C++ library reads it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lifeboat {

// strconv.Quote(raw) without the surrounding quotes: printable UTF-8 stays,
// \a \b \f \n \r \t \v \\ \" are escaped by letter, other ASCII controls and
// every byte that is not valid UTF-8 as \xHH, and non-printable runes as
// \uHHHH or \UHHHHHHHH. "Non-printable" is Go's unicode.IsPrint for the
// runes names meet (C0/C1 controls, DEL, format and separator characters
// listed in go_quote.cc); any other rune stays literal, which restic's
// strconv.Unquote reads back just the same.
std::string GoQuote(std::string_view raw);

// strconv.Unquote of `"` + quoted + `"`: every escape Go writes or accepts
// (\a \b \f \n \r \t \v \\ \" \xHH \NNN \uHHHH \UHHHHHHHH). nullopt when
// `quoted` is not such a string (a bare `"`, a raw newline, a bad escape).
std::optional<std::string> GoUnquote(std::string_view quoted);

}  // namespace lifeboat
