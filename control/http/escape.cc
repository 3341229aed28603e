#include "control/http/escape.h"

#include <cstdint>

namespace sluice::control::http {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0.
size_t utf8_length(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto tail = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const uint8_t b = byte(0);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return tail(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!tail(1) || !tail(2)) return 0;
    if (b == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (b == 0xED && byte(1) >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!tail(1) || !tail(2) || !tail(3)) return 0;
    if (b == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (b == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// Walks `text`, giving each ASCII byte to `ascii` (which appends it, escaped as it must be),
// copying well-formed multi-byte sequences and replacing each invalid byte.
template <class Ascii>
void append_utf8(std::string& out, std::string_view text, Ascii ascii) {
  out.reserve(out.size() + text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = utf8_length(text.substr(i));
    if (n == 1) {
      ascii(text[i]);
    } else if (n == 0) {
      out += kReplacement;
    } else {
      out.append(text.substr(i, n));
    }
    i += n == 0 ? 1 : n;
  }
}

}  // namespace

void append_label_value(std::string& out, std::string_view value) {
  append_utf8(out, value, [&](char c) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  });
}

void append_html(std::string& out, std::string_view text) {
  append_utf8(out, text, [&](char c) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  });
}

std::string html(std::string_view text) {
  std::string out;
  append_html(out, text);
  return out;
}

}  // namespace sluice::control::http
