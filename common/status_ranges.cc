#include "common/status_ranges.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/quoted_line.h"

namespace sluice {
namespace {

constexpr uint16_t kFirstStatus = 100;
constexpr uint16_t kLastStatus = 599;

std::string_view trimmed(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// A code of a status item, all digits; nullopt for anything else ("2xx", "-1", "").
std::optional<uint32_t> status_code(std::string_view digits) {
  uint32_t value = 0;
  const char* end = digits.data() + digits.size();
  const auto [stop, error] = std::from_chars(digits.data(), end, value);
  if (error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

bool is_status(uint32_t code) { return code >= kFirstStatus && code <= kLastStatus; }

// One item between commas, trimmed and not empty: "302" or "200-299".
Result<StatusRange> parse_status_item(std::string_view item) {
  const size_t dash = item.find('-');
  const std::optional<uint32_t> first = status_code(trimmed(item.substr(0, dash)));
  const std::optional<uint32_t> last =
      dash == std::string_view::npos ? first : status_code(trimmed(item.substr(dash + 1)));
  if (!first || !last) {
    return Error{"invalid status " + quoted_line(item) +
                 " (expected a code such as 200 or a range such as 200-299)"};
  }
  if (!is_status(*first) || !is_status(*last)) {
    return Error{"status " + quoted_line(item) + " is out of range (expected codes 100..599)"};
  }
  if (*first > *last) return Error{"reversed status range " + quoted_line(item)};
  return StatusRange{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

}  // namespace

Result<std::vector<StatusRange>> parse_status_ranges(std::string_view text) {
  if (trimmed(text).empty()) {
    return Error{"no status codes given (expected 200-299,302 or the like)"};
  }
  std::vector<StatusRange> ranges;
  for (size_t begin = 0; begin <= text.size();) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    const std::string_view item = trimmed(text.substr(begin, comma - begin));
    if (item.empty()) return Error{"empty item in the status list " + quoted_line(text)};
    Result<StatusRange> range = parse_status_item(item);
    if (!range) return Error{range.error()};
    ranges.push_back(range.value());
    begin = comma + 1;
  }
  return ranges;
}

std::string format_status_ranges(const std::vector<StatusRange>& ranges) {
  std::string text;
  for (const StatusRange& range : ranges) {
    if (!text.empty()) text += ',';
    text += std::to_string(range.first);
    if (range.last != range.first) text += '-' + std::to_string(range.last);
  }
  return text;
}

bool status_in(const std::vector<StatusRange>& ranges, int status) {
  return std::any_of(ranges.begin(), ranges.end(), [status](const StatusRange& r) {
    return status >= r.first && status <= r.last;
  });
}

}  // namespace sluice
