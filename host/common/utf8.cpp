#include "common/utf8.h"

#include <cstdint>

namespace stratrun {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/// The length of the well-formed sequence at `text[i]`, or 0 when it is ill-formed; then
/// `*subpart` is the length of its maximal ill-formed subpart (at least 1).
size_t SequenceLength(std::string_view text, size_t i, size_t* subpart) noexcept {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  *subpart = 1;
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t low = 0x80, high = 0xBF;  // the range of the second byte (Unicode Table 3-7)
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // a continuation byte, C0, C1 or F5..FF
  }
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return 0;
    const uint8_t b = byte(i + k);
    const bool fits = k == 1 ? b >= low && b <= high : b >= 0x80 && b <= 0xBF;
    if (!fits) return 0;
    *subpart = k + 1;
  }
  return length;
}

}  // namespace

size_t Utf8SequenceLength(std::string_view text, size_t at) noexcept {
  size_t subpart = 0;
  return SequenceLength(text, at, &subpart);
}

bool IsValidUtf8(std::string_view text) noexcept {
  size_t subpart = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i, &subpart);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view text) {
  size_t i = 0;
  size_t subpart = 0;
  // The common case, valid text, is one scan and one copy.
  while (i < text.size()) {
    const size_t length = SequenceLength(text, i, &subpart);
    if (length == 0) break;
    i += length;
  }
  if (i == text.size()) return std::string(text);
  std::string out(text.substr(0, i));
  out.reserve(text.size() + 8);
  while (i < text.size()) {
    const size_t length = SequenceLength(text, i, &subpart);
    if (length == 0) {
      out += kReplacement;
      i += subpart;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string SanitizeUtf8(const char* text) { return text == nullptr ? std::string() : SanitizeUtf8(std::string_view(text)); }

}  // namespace stratrun
