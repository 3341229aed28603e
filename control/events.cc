#include "control/events.h"

#include <cstdio>

namespace sluice::control {
namespace {

std::string value(const std::string& text) {
  bool plain = !text.empty();
  std::string escaped;
  for (const unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      escaped += hex;
      plain = false;
    } else {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += static_cast<char>(c);
      if (c == ' ' || c == '"' || c == '=' || c == '\\') plain = false;
    }
  }
  return plain ? escaped : "\"" + escaped + "\"";
}

}  // namespace

std::string format_event(const Event& e) {
  std::string line = "event=" + value(e.kind);
  if (!e.service.empty()) line += " service=" + value(e.service);
  if (!e.server.empty()) line += " server=" + value(e.server);
  if (!e.from.empty()) line += " from=" + value(e.from);
  if (!e.to.empty()) line += " to=" + value(e.to);
  if (!e.reason.empty()) line += " reason=" + value(e.reason);
  return line;
}

}  // namespace sluice::control
