#include "config/ports.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <string>
#include <string_view>

namespace sluice::config {
namespace {

constexpr std::string_view kAll = "all";
constexpr Range kPort{1, 65535};
constexpr size_t kMaxPortDigits = 5;

bool is_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view trimmed(std::string_view text) {
  const size_t begin = text.find_first_not_of(' ');
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(' ') - begin + 1);
}

// A port inside a text item ("5070" of "5070-5073"), under read_integer's rules: decimal, no
// leading zero (octal to YAML 1.1), 1..65535.
std::optional<uint16_t> text_port(Context& cx, const Element& e, std::string_view digits,
                                  std::string_view item) {
  if (digits.size() > 1 && digits.front() == '0') {
    return fail(cx, e, "leading zeros are not allowed: " + quote(item));
  }
  uint32_t value = 0;
  const bool fits = digits.size() <= kMaxPortDigits;
  if (fits) std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (!fits || value < kPort.min || value > kPort.max) {
    const std::string shown = fits ? std::string(digits) : quote(digits);
    return fail(cx, e, "out of range: " + shown + " (expected 1..65535)");
  }
  return static_cast<uint16_t>(value);
}

// A range "5070-5073", or a port of a comma list, written as text.
std::optional<PortRange> text_item(Context& cx, const Element& e, std::string_view item) {
  if (item == kAll) return fail(cx, e, "all must stand alone: ports: all");
  const size_t dash = item.find('-');
  const std::string_view first = item.substr(0, dash);
  const std::string_view last = dash == std::string_view::npos ? first : item.substr(dash + 1);
  if (!is_digits(first) || !is_digits(last)) {
    if (dash == std::string_view::npos) {
      return fail(
          cx, e,
          "invalid port " + quote(item) + " (expected 1..65535 or a range such as 5070-5073)");
    }
    return fail(cx, e,
                "invalid port range " + quote(item) + " (expected FIRST-LAST, such as 5070-5073)");
  }
  const std::optional<uint16_t> from = text_port(cx, e, first, item);
  const std::optional<uint16_t> to = from ? text_port(cx, e, last, item) : std::nullopt;
  if (!to) return std::nullopt;
  if (*from > *to) return fail(cx, e, "reversed port range " + std::string(item));
  return PortRange{*from, *to};
}

// One scalar of `ports`: an integer, or a range, which YAML can only hold as a string.
std::optional<PortRange> scalar_item(Context& cx, const Element& e) {
  if (e.node.IsScalar()) {
    const std::string& text = e.node.Scalar();
    // A leading '-' is a negative number, which read_integer reports as out of range.
    if (text.find('-', 1) != std::string::npos || text == kAll) return text_item(cx, e, text);
  }
  const std::optional<uint32_t> port = read_integer(cx, e, kPort, "a port number");
  if (!port) return std::nullopt;
  return PortRange{static_cast<uint16_t>(*port), static_cast<uint16_t>(*port)};
}

// Collects the items of one key; a port given twice is reported at its second mention.
class ItemList {
 public:
  explicit ItemList(Context& cx) : cx_(cx) {}

  void add(const Origin& origin, const std::optional<PortRange>& range) {
    if (!range) return;
    const PortItem item{*range, origin};
    if (const std::optional<PortRanges::Overlap> overlap = seen_.add(item)) {
      const char* noun = overlap->shared.size() == 1 ? "duplicate port " : "duplicate ports ";
      cx_.error(origin, noun + format_range(overlap->shared));
      return;
    }
    items_.push_back(item);
  }
  std::vector<PortItem> take() { return std::move(items_); }

 private:
  Context& cx_;
  PortRanges seen_;
  std::vector<PortItem> items_;
};

// "80,443,5070-5073": the items share the position of the string.
void read_comma_list(Context& cx, const Element& e, ItemList& items) {
  const std::string_view text = e.node.Scalar();
  for (size_t begin = 0; begin <= text.size();) {
    // Each item is work an alias can repeat, like a list item.
    if (!cx.spend()) return;
    const size_t comma = std::min(text.find(',', begin), text.size());
    const std::string_view item = trimmed(text.substr(begin, comma - begin));
    if (item.empty()) {
      cx.error(e.origin, "empty item in port list " + quote(text));
    } else {
      items.add(e.origin, text_item(cx, e, item));
    }
    begin = comma + 1;
  }
}

std::vector<PortItem> read_items(Context& cx, const Element& e, std::string_view expected) {
  ItemList items(cx);
  if (e.node.IsNull() || e.node.IsSequence()) {
    const std::vector<Element> list = read_list(cx, e).value_or(std::vector<Element>{});
    if (list.empty()) cx.error(e.origin, "expected at least one port");
    for (const Element& item : list) items.add(item.origin, scalar_item(cx, item));
  } else if (!e.node.IsScalar()) {
    cx.error(e.origin, "expected " + std::string(expected));
  } else if (e.node.Scalar().find(',') != std::string::npos) {
    read_comma_list(cx, e, items);
  } else {
    items.add(e.origin, scalar_item(cx, e));
  }
  return items.take();
}

// Sorted, with adjacent ranges joined: the form PortSet keeps.
std::vector<PortRange> normalized(const std::vector<PortItem>& items) {
  std::vector<PortRange> ranges;
  for (const PortItem& item : items) ranges.push_back(item.range);
  std::sort(ranges.begin(), ranges.end(),
            [](const PortRange& a, const PortRange& b) { return a.first < b.first; });
  std::vector<PortRange> joined;
  for (const PortRange& r : ranges) {
    if (!joined.empty() && uint32_t{joined.back().last} + 1 >= r.first) {
      joined.back().last = std::max(joined.back().last, r.last);
    } else {
      joined.push_back(r);
    }
  }
  return joined;
}

// The ports 1..65535 that `except` (normalized) leaves.
std::vector<PortRange> complement(const std::vector<PortRange>& except) {
  std::vector<PortRange> left;
  uint32_t next = kPort.min;
  for (const PortRange& r : except) {
    if (r.first > next) {
      left.push_back({static_cast<uint16_t>(next), static_cast<uint16_t>(r.first - 1)});
    }
    next = uint32_t{r.last} + 1;
  }
  if (next <= kPort.max) {
    left.push_back({static_cast<uint16_t>(next), static_cast<uint16_t>(kPort.max)});
  }
  return left;
}

bool is_all(const Element& e) { return e.node.IsScalar() && e.node.Scalar() == kAll; }

void read_all_ports(Context& cx, const Element& ports, const std::optional<Element>& except,
                    ReadPorts& read) {
  read.set.all = true;
  if (except && is_all(*except)) {
    cx.error(except->origin, "except_ports cannot be all");
  } else if (except) {
    read.set.except =
        normalized(read_items(cx, *except, "a port, a range such as 5070-5073 or a list of them"));
  }
  for (const PortRange& r : complement(read.set.except)) read.items.push_back({r, ports.origin});
  // Only exceptions can leave nothing.
  if (read.items.empty()) cx.error(except->origin, "except_ports leaves no port");
}

}  // namespace

std::optional<ReadPorts> read_ports(Context& cx, const Element& ports,
                                    const std::optional<Element>& except) {
  const size_t errors_before = cx.error_count();
  ReadPorts read;
  if (is_all(ports)) {
    read_all_ports(cx, ports, except, read);
  } else {
    if (except) cx.error(except->origin, "except_ports needs ports: all");
    read.items = read_items(cx, ports, "a port, a range such as 5070-5073, a list of them or all");
    read.set.ranges = normalized(read.items);
  }
  if (cx.error_count() != errors_before) return std::nullopt;
  return read;
}

std::optional<PortRanges::Overlap> PortRanges::add(const PortItem& item) {
  const PortRange r = item.range;
  const auto next = by_first_.upper_bound(r.first);
  // The ranges here do not overlap, so only the last one starting at or below r.first can
  // reach into r from below.
  if (next != by_first_.begin()) {
    const PortItem& below = std::prev(next)->second;
    if (below.range.last >= r.first) {
      return Overlap{{r.first, std::min(r.last, below.range.last)}, below.origin};
    }
  }
  if (next != by_first_.end() && next->first <= r.last) {
    return Overlap{{next->first, std::min(r.last, next->second.range.last)}, next->second.origin};
  }
  by_first_.emplace_hint(next, r.first, item);
  return std::nullopt;
}

}  // namespace sluice::config
