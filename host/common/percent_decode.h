// Percent-decoding (RFC 3986 §2.1), the one rule for every URL part the host reads: HTTP
// paths and query strings, file: URIs on the command line.
//
//   auto value = PercentDecode("c%5Fminimal");          // "c_minimal"
//   auto words = PercentDecode("a+b", /*plus_is_space=*/true);  // "a b" (form encoding)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stratrun {

/// `text` with each %XX (hex, either case) replaced by its byte, and '+' by a space when
/// `plus_is_space`; nullopt when a '%' is not followed by two hex digits. The result may
/// hold any byte (NUL and invalid UTF-8 included): callers check what they accept.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

}  // namespace stratrun
