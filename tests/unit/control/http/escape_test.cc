// Escaping of configuration text for Prometheus label values and for HTML.
#include "control/http/escape.h"

#include <gtest/gtest.h>

namespace sluice::control::http {
namespace {

std::string label(std::string_view v) {
  std::string out;
  append_label_value(out, v);
  return out;
}

TEST(Escape, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(label("web"), "web");
  EXPECT_EQ(label("a\\b"), "a\\\\b");
  EXPECT_EQ(label("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(label("two\nlines"), "two\\nlines");
  // A name that would close the label and add one of its own stays one value.
  EXPECT_EQ(label("x\",server=\"evil"), "x\\\",server=\\\"evil");
  EXPECT_EQ(label("x\"}\nsluice_fake 1\n"), "x\\\"}\\nsluice_fake 1\\n");
}

TEST(Escape, HtmlEscapesMarkupAndQuotes) {
  EXPECT_EQ(html("web-nat"), "web-nat");
  EXPECT_EQ(html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(html("a&b"), "a&amp;b");
  EXPECT_EQ(html("\" onmouseover='x'"), "&quot; onmouseover=&#39;x&#39;");
}

TEST(Escape, Utf8IsKeptAndInvalidBytesReplaced) {
  EXPECT_EQ(html("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(label("a\xFF" "b"), "a" + fffd + "b");
  EXPECT_EQ(label("\xC0\xAF"), fffd + fffd);                // overlong '/'
  EXPECT_EQ(label("\xED\xA0\x80"), fffd + fffd + fffd);     // a surrogate
  EXPECT_EQ(label("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(html("\xE2\x82"), fffd + fffd);                 // truncated
  EXPECT_EQ(html(std::string("a\0<", 3)), std::string("a\0&lt;", 6));
}

}  // namespace
}  // namespace sluice::control::http
