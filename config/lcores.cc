#include "config/lcores.h"

#include <charconv>
#include <vector>

namespace sluice::config {
namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `text` cut at each `separator` outside parentheses.
std::vector<std::string_view> split_outside_parentheses(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (text[i] == separator && depth == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::optional<uint32_t> number(std::string_view text, uint32_t limit) {
  text = trimmed(text);
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value >= limit) {
    return std::nullopt;
  }
  return value;
}

// Adds the ids of a SET ("3", "0-2", "(0,2-3)") below `limit` to `ids`, or says why not.
Result<void> add_set(std::string_view text, uint32_t limit, const char* what,
                    std::set<uint32_t>& ids) {
  text = trimmed(text);
  // (Commas outside parentheses separate groups: only a parenthesised SET holds a list.)
  std::string_view inner = text;
  if (text.starts_with('(')) {
    if (!text.ends_with(')')) return Error{"unclosed '(' in '" + std::string(text) + "'"};
    inner = text.substr(1, text.size() - 2);
  }
  for (const std::string_view item : split_outside_parentheses(inner, ',')) {
    const size_t dash = item.find('-');
    const std::optional<uint32_t> first = number(item.substr(0, dash), limit);
    const std::optional<uint32_t> last =
        dash == std::string_view::npos ? first : number(item.substr(dash + 1), limit);
    if (!first || !last) {
      return Error{"'" + std::string(trimmed(item)) + "' is no " + what +
                   " number or range below " + std::to_string(limit)};
    }
    for (uint32_t id = std::min(*first, *last); id <= std::max(*first, *last); ++id) {
      ids.insert(id);
    }
  }
  return {};
}

}  // namespace

Result<std::set<uint32_t>> parse_lcores(std::string_view text) {
  std::set<uint32_t> ids;
  for (const std::string_view group : split_outside_parentheses(text, ',')) {
    const std::vector<std::string_view> sides = split_outside_parentheses(group, '@');
    std::set<uint32_t> cpus;  // checked, not kept: EAL pins the threads
    if (sides.size() > 2) return Error{"more than one '@' in '" + std::string(trimmed(group)) + "'"};
    if (Result<void> r = add_set(sides[0], kMaxLcore, "lcore", ids); !r) return Error{r.error()};
    if (sides.size() == 2) {
      if (Result<void> r = add_set(sides[1], kMaxCpu, "CPU", cpus); !r) return Error{r.error()};
    }
  }
  return ids;
}

}  // namespace sluice::config
