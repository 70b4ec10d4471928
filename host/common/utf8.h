// UTF-8 checks for text that comes from outside the host (plugins, HTTP requests), so that
// what the host writes (JSON, SSE, CSV, logs) is always valid UTF-8.
//
//   event.message = SanitizeUtf8(raw_message);      // invalid sequences become U+FFFD
//   if (!IsValidUtf8(query_value)) return Error(…);  // or refuse it
//
// Valid means well-formed UTF-8 as Unicode defines it (RFC 3629): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. NUL and other
// control characters are valid UTF-8 and are kept (JSON writers escape them).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace stratrun {

/// True when `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text) noexcept;

/// The length (1-4) of the well-formed sequence starting at `text[at]`; 0 when the bytes
/// there are ill-formed. `at` must be < text.size(). For walking text code point by code
/// point (quoting, cutting at a length).
size_t Utf8SequenceLength(std::string_view text, size_t at) noexcept;

/// `text` with every ill-formed sequence replaced by U+FFFD (EF BF BD), one per maximal
/// ill-formed subpart (the W3C/WHATWG "substitution of maximal subparts" rule, so the result
/// is the same as a browser's decoder shows). Valid text comes back unchanged.
std::string SanitizeUtf8(std::string_view text);

/// SanitizeUtf8 of a NUL-terminated string; "" for nullptr.
std::string SanitizeUtf8(const char* text);

}  // namespace stratrun
