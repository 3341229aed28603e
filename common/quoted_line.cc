#include "common/quoted_line.h"

#include <cstdio>

namespace sluice {
namespace {

// Between double quotes, control bytes as \xNN: messages are one line of a log or of JSON.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  out += '"';
  return out;
}

}  // namespace

// Cut back to a character's start so that UTF-8 stays valid
// (JSON writers refuse broken text).
std::string quoted_line(std::string_view text, size_t max) {
  if (text.size() <= max) return quoted(text);
  size_t keep = max;
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return quoted(text.substr(0, keep)) + "...";
}

}  // namespace sluice
