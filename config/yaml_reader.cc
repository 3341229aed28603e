#include "config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "common/ip_text.h"
#include "common/quoted_line.h"

namespace sluice::config {
namespace {

// More errors than this are a wrong file, not a list to work through; keeping millions of
// them would only cost memory and bury the first ones.
constexpr size_t kMaxKeptErrors = 1000;
// A 1 MiB file holds at most about 500 000 nodes, a real one far fewer; only aliases reach
// past this. Spending it all takes a few seconds.
constexpr size_t kWorkBudget = 1'000'000;
constexpr size_t kMaxPrintedChars = 64;

// yaml-cpp tags plain scalars "?" and quoted ones "!". Only a plain scalar is a number or a
// boolean: a quoted "80" is a string in YAML.
bool is_plain_scalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "?"; }
bool is_quoted_scalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "!"; }

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The text of a scalar, or an error naming what was expected instead.
std::optional<std::string> scalar_text(Context& cx, const Element& e, std::string_view noun) {
  if (!e.node.IsScalar()) return fail(cx, e, "expected " + std::string(noun));
  return e.node.Scalar();
}

// Operator text made safe to print in a one-line message: control bytes escaped, long text cut.
std::string printable(std::string_view text) { return sluice::printable(text, kMaxPrintedChars); }

std::string range_text(Range range) {
  return std::to_string(range.min) + ".." + std::to_string(range.max);
}

// 500 -> "0.5", 2000 -> "2": seconds as the YAML writes them.
std::string seconds(uint32_t ms) {
  std::string text = std::to_string(ms / 1000);
  if (ms % 1000 == 0) return text;
  char fraction[5];
  std::snprintf(fraction, sizeof fraction, ".%03u", ms % 1000);
  text += fraction;
  while (text.back() == '0') text.pop_back();
  return text;
}

std::string seconds_text(Range ms) { return seconds(ms.min) + ".." + seconds(ms.max) + " s"; }

}  // namespace

void Context::error(const Origin& where, std::string message) {
  ++reported_;
  if (errors_.size() >= kMaxKeptErrors) return;
  errors_.push_back(Error{file_, where.line, where.column, where.path, std::move(message)});
}

void Context::file_error(std::string message) { error(Origin{}, std::move(message)); }

std::vector<Error> Context::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const Error& a, const Error& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  const size_t not_kept = reported_ - errors_.size();
  if (not_kept > 0) {
    errors_.push_back(Error{file_, 0, 0, "", "and " + std::to_string(not_kept) + " more errors"});
  }
  return std::move(errors_);
}

void Context::remember(const Origin& origin) { origins_[origin.path] = origin; }

const Origin& Context::origin_of(const std::string& path, const Origin& fallback) const {
  const auto it = origins_.find(path);
  return it == origins_.end() ? fallback : it->second;
}

bool Context::spend() {
  if (spent_ == kWorkBudget) return false;
  if (++spent_ < kWorkBudget) return true;
  file_error("too many values: more than " + std::to_string(kWorkBudget) +
             " list items and keys (an alias counts each time it is used)");
  return false;
}

std::nullopt_t fail(Context& cx, const Element& e, std::string message) {
  cx.error(e.origin, std::move(message));
  return std::nullopt;
}

Origin locate(const YAML::Mark& mark, std::string path) {
  // yaml-cpp counts from 0; editors and compilers from 1.
  if (mark.is_null()) return Origin{0, 0, std::move(path)};
  return Origin{mark.line + 1, mark.column + 1, std::move(path)};
}

Origin locate(const YAML::Node& node, std::string path) {
  return locate(node.Mark(), std::move(path));
}

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string quote(std::string_view text) {
  // Appended rather than `"'" + ...`, which trips GCC 12's -Wrestrict at -O3 (GCC bug 105329).
  std::string out = "'";
  out += printable(text);
  out += '\'';
  return out;
}

Fields::Fields(Context& cx, const Element& mapping, std::initializer_list<std::string_view> known)
    : cx_(cx), origin_(mapping.origin), is_mapping_(mapping.node.IsMap()) {
  if (!is_mapping_) {
    cx_.error(origin_, "expected a mapping");
    return;
  }
  for (auto it = mapping.node.begin(); it != mapping.node.end(); ++it) {
    if (!cx_.spend()) return;
    add(it->first, it->second, known);
  }
}

void Fields::add(const YAML::Node& key, const YAML::Node& value,
                 std::initializer_list<std::string_view> known) {
  const Origin key_origin = locate(key, origin_.path);
  if (!key.IsScalar()) {
    cx_.error(key_origin, "expected a key name");
    return;
  }
  const std::string& name = key.Scalar();
  if (!seen_.insert(name).second) {
    cx_.error(key_origin, "duplicate key " + quote(name));
    return;
  }
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    cx_.error(key_origin, "unknown key " + quote(name));
    return;
  }
  // yaml-cpp places an empty value where the next token starts, often the next line: the
  // key is where the operator will look.
  Origin value_origin = locate(value.IsNull() ? key : value, child_path(origin_.path, name));
  cx_.remember(value_origin);
  entries_.emplace_back(name, Element{value, std::move(value_origin)});
}

std::optional<Element> Fields::get(std::string_view key) const {
  for (const auto& [name, element] : entries_) {
    if (name == key) return element;
  }
  return std::nullopt;
}

std::optional<Element> Fields::require(std::string_view key) const {
  std::optional<Element> element = get(key);
  if (!element && is_mapping_) {
    cx_.error(origin_, "missing required key " + quote(key));
  }
  return element;
}

std::optional<uint32_t> read_integer(Context& cx, const Element& e, Range range,
                                     std::string_view noun) {
  const std::string expected = "expected " + std::string(noun);
  if (is_quoted_scalar(e.node)) return fail(cx, e, expected + ", not a quoted string");
  if (!is_plain_scalar(e.node)) return fail(cx, e, expected);
  const std::string_view text = e.node.Scalar();
  const bool negative = text.starts_with('-');
  const std::string_view digits = text.substr(negative ? 1 : 0);
  if (!all_digits(digits)) return fail(cx, e, expected);
  // YAML 1.1 reads 010 as octal 8, YAML 1.2 as decimal 10: refuse to guess.
  if (digits.size() > 1 && digits.front() == '0') {
    return fail(cx, e, "leading zeros are not allowed: " + quote(text));
  }
  uint64_t value = 0;
  const bool fits = digits.size() <= 10;  // beyond that it overflows 32 bits anyway
  if (fits) std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (negative || !fits || value < range.min || value > range.max) {
    return fail(cx, e,
                "out of range: " + printable(text) + " (expected " + range_text(range) + ")");
  }
  return static_cast<uint32_t>(value);
}

std::optional<uint32_t> read_seconds_ms(Context& cx, const Element& e, Range ms) {
  const std::string expected = "expected seconds (such as 2 or 0.5)";
  if (is_quoted_scalar(e.node)) return fail(cx, e, expected + ", not a quoted string");
  if (!is_plain_scalar(e.node)) return fail(cx, e, expected);
  const std::string_view text = e.node.Scalar();
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(fraction))) {
    return fail(cx, e, expected);
  }
  if (fraction.size() > 3) return fail(cx, e, "more precise than a millisecond: " + quote(text));
  if (whole.size() > 1 && whole.front() == '0') {
    return fail(cx, e, "leading zeros are not allowed: " + quote(text));
  }
  uint64_t value = 0;
  const bool fits = whole.size() <= 7;  // 10^7 s is far beyond any range here
  if (fits) std::from_chars(whole.data(), whole.data() + whole.size(), value);
  value *= 1000;
  uint64_t millis = 0;
  std::from_chars(fraction.data(), fraction.data() + fraction.size(), millis);
  for (size_t i = fraction.size(); i < 3; ++i) millis *= 10;
  value += millis;
  if (!fits || value < ms.min || value > ms.max) {
    return fail(cx, e, "out of range: " + printable(text) + " (expected " + seconds_text(ms) + ")");
  }
  return static_cast<uint32_t>(value);
}

std::optional<bool> read_bool(Context& cx, const Element& e) {
  if (is_quoted_scalar(e.node)) return fail(cx, e, "expected true or false, not a quoted string");
  if (is_plain_scalar(e.node) && e.node.Scalar() == "true") return true;
  if (is_plain_scalar(e.node) && e.node.Scalar() == "false") return false;
  return fail(cx, e, "expected true or false");
}

std::optional<std::string> read_string(Context& cx, const Element& e) {
  std::optional<std::string> text = scalar_text(cx, e, "a string");
  // Every string ends up in a C API (EAL, the kernel, a socket address), which would cut it
  // at the NUL, silently: a YAML "\0" escape is refused here instead.
  if (text && text->find('\0') != std::string::npos) {
    return fail(cx, e, "contains a NUL byte: " + quote(*text));
  }
  return text;
}

std::optional<Ipv4> read_ipv4(Context& cx, const Element& e) {
  const std::optional<std::string> text = scalar_text(cx, e, "an IPv4 address");
  if (!text) return std::nullopt;
  const std::optional<Ipv4> ip = parse_ipv4(*text);
  if (!ip) return fail(cx, e, "invalid IPv4 address " + quote(*text));
  return ip;
}

std::optional<IpAddress> read_ip(Context& cx, const Element& e) {
  const std::optional<std::string> text = scalar_text(cx, e, "an IP address");
  if (!text) return std::nullopt;
  const std::optional<IpAddress> ip = parse_ip(*text);
  if (!ip) return fail(cx, e, "invalid IP address " + quote(*text));
  return ip;
}

std::optional<Prefix> read_prefix(Context& cx, const Element& e) {
  const std::optional<std::string> text = scalar_text(cx, e, "a prefix (address/length)");
  if (!text) return std::nullopt;
  const std::optional<Prefix> prefix = parse_prefix(*text);
  if (!prefix) {
    return fail(cx, e,
                "invalid prefix " + quote(*text) + " (expected a.b.c.d/length or IPv6/length)");
  }
  return prefix;
}

std::optional<std::vector<Element>> read_list(Context& cx, const Element& e) {
  if (e.node.IsNull()) return std::vector<Element>{};
  if (!e.node.IsSequence()) return fail(cx, e, "expected a list");
  std::vector<Element> items;
  for (const YAML::Node& item : e.node) {
    if (!cx.spend()) break;
    items.push_back(Element{item, locate(item, index_path(e.origin.path, items.size()))});
  }
  return items;
}

}  // namespace sluice::config
