#include "common/utf8.h"

#include <gtest/gtest.h>

namespace stratrun {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Test, ValidTextIsKeptAsItIs) {
  for (std::string_view text : {std::string_view(""), std::string_view("AAPL"), std::string_view("caf\xC3\xA9"),
                                std::string_view("\xE2\x82\xAC 5"), std::string_view("\xF0\x9F\x93\x88"),
                                std::string_view("\xF4\x8F\xBF\xBF"), std::string_view("a\0b", 3)}) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
    EXPECT_EQ(SanitizeUtf8(text), text);
  }
}

TEST(Utf8Test, IllFormedSequencesAreRefusedAndReplaced) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"\xFF", kFffd},                                  // never valid
      {"ab\x80" "cd", "ab" + kFffd + "cd"},              // a lone continuation byte
      {"\xC0\xAF", kFffd + kFffd},                      // overlong '/'
      {"\xE0\x80\xAF", kFffd + kFffd + kFffd},          // overlong, 3 bytes
      {"\xED\xA0\x80", kFffd + kFffd + kFffd},          // a surrogate
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // above U+10FFFF
      {"\xE2\x82", kFffd},                              // truncated: one maximal subpart
      {"x\xF0\x9F\x93", "x" + kFffd},                   // truncated 4-byte sequence
      {"\xE2\x82" "A", kFffd + "A"},                    // interrupted
      {"\xC3\xA9\xC3", "\xC3\xA9" + kFffd},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(IsValidUtf8(c.in)) << c.in;
    EXPECT_EQ(SanitizeUtf8(c.in), c.out) << c.in;
    EXPECT_TRUE(IsValidUtf8(SanitizeUtf8(c.in)));
  }
}

TEST(Utf8Test, NullIsEmpty) { EXPECT_EQ(SanitizeUtf8(static_cast<const char*>(nullptr)), ""); }

}  // namespace
}  // namespace stratrun
