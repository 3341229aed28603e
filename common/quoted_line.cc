#include "common/quoted_line.h"

#include <cstdio>

namespace sluice {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

// At most `max` bytes, cut back to a character's start (a UTF-8 continuation byte is 10xxxxxx).
std::string_view cut(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t keep = max;
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return text.substr(0, keep);
}

}  // namespace

std::string printable(std::string_view text, size_t max) {
  const std::string_view kept = cut(text, max);
  return escaped(kept) + (kept.size() < text.size() ? "..." : "");
}

std::string quoted_line(std::string_view text, size_t max) {
  const std::string_view kept = cut(text, max);
  return "\"" + escaped(kept) + "\"" + (kept.size() < text.size() ? "..." : "");
}

}  // namespace sluice
