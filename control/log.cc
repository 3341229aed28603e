#include "control/log.h"

#include <cstdio>

namespace sluice::control {

std::string log_value(std::string_view text) {
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

std::string format_fields(std::string_view event, std::span<const LogField> fields) {
  std::string line = "event=" + log_value(event);
  for (const LogField& f : fields) {
    if (f.value.empty()) continue;
    line += ' ';
    line += f.key;
    line += '=';
    line += log_value(f.value);
  }
  return line;
}

void Logger::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  if (level <= LogLevel::warning && !within_budget(event)) return;
  pass(level, format_fields(event, {fields.begin(), fields.size()}));
}

void Logger::pass(LogLevel level, std::string_view fields_text) {
  if (!enabled(level)) return;
  std::string line = "level=";
  line += to_string(level);
  line += ' ';
  line += fields_text;
  sink_(level, line);
}

bool Logger::within_budget(std::string_view event) {
  Budget& b = budgets_[std::string(event)];
  const uint64_t now = clock_();
  if (b.lines == 0 || now - b.window_start >= kLimitWindowMs) {
    if (b.suppressed != 0) {
      const LogField fields[] = {{"of", event}, {"count", b.suppressed}};
      pass(LogLevel::warning, format_fields("log_suppressed", fields));
    }
    b = {.window_start = now, .lines = 0, .suppressed = 0};
  }
  if (b.lines >= kLimitBurst) {
    ++b.suppressed;
    return false;
  }
  ++b.lines;
  return true;
}

}  // namespace sluice::control
