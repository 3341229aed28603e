#include "common/status_ranges.h"

#include <charconv>

namespace sluice {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Exactly three digits, 100..599.
bool read_code(std::string_view text, uint16_t& code) {
  if (text.size() != 3) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  return ec == std::errc() && end == text.data() + text.size() && code >= 100 && code <= 599;
}

}  // namespace

Result<std::vector<StatusRange>> parse_status_ranges(std::string_view text) {
  std::vector<StatusRange> ranges;
  if (trim(text).empty()) return Error{"expected status codes such as 200-299,302"};
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view part = trim(text.substr(0, comma));
    const size_t dash = part.find('-');
    StatusRange range;
    const bool valid = dash == std::string_view::npos
                           ? read_code(part, range.first)
                           : read_code(trim(part.substr(0, dash)), range.first) &&
                                 read_code(trim(part.substr(dash + 1)), range.last);
    if (!valid) {
      return Error{"\"" + std::string(part.substr(0, 20)) +
                   "\" is not a status code (100..599) or a range of them (200-299)"};
    }
    if (dash == std::string_view::npos) range.last = range.first;
    if (range.first > range.last) {
      return Error{"range " + std::string(part) + " ends before it begins"};
    }
    ranges.push_back(range);
    if (comma == std::string_view::npos) return ranges;
    text.remove_prefix(comma + 1);
  }
}

std::string format_status_ranges(const std::vector<StatusRange>& ranges) {
  std::string text;
  for (const StatusRange& r : ranges) {
    if (!text.empty()) text += ',';
    text += std::to_string(r.first);
    if (r.last != r.first) text += "-" + std::to_string(r.last);
  }
  return text;
}

bool status_in(const std::vector<StatusRange>& ranges, int status) {
  for (const StatusRange& r : ranges) {
    if (status >= r.first && status <= r.last) return true;
  }
  return false;
}

}  // namespace sluice
