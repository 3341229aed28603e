#include "common/aws.h"

#include <algorithm>

#include "common/ip_text.h"

namespace sluice {
namespace {

constexpr size_t kMaxHostName = 253;  // RFC 1035, as written in text
constexpr size_t kMaxLabel = 63;

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_letter_or_digit(char c) { return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z'); }

// Labels of letters, digits and '-' (not first or last), 1..63 bytes, joined by dots.
bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostName) return false;
  for (size_t start = 0; start <= name.size();) {
    const size_t end = std::min(name.find('.', start), name.size());
    const std::string_view label = name.substr(start, end - start);
    if (label.empty() || label.size() > kMaxLabel || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return is_letter_or_digit(c) || c == '-'; })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// 1..65535, decimal, no leading zero.
bool is_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || text.front() == '0') return false;
  if (!std::all_of(text.begin(), text.end(), is_digit)) return false;
  uint32_t value = 0;
  for (char c : text) value = value * 10 + static_cast<uint32_t>(c - '0');
  return value <= 65535;
}

}  // namespace

bool is_aws_id(std::string_view text, std::string_view prefix) {
  if (text.size() <= prefix.size() + 1 || !text.starts_with(prefix) || text[prefix.size()] != '-') {
    return false;
  }
  const std::string_view digits = text.substr(prefix.size() + 1);
  return (digits.size() == 8 || digits.size() == 17) &&
         std::all_of(digits.begin(), digits.end(), is_lower_hex);
}

bool is_aws_region(std::string_view text) {
  return text.size() >= 3 && text.size() <= 32 && is_lower(text.front()) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return is_lower(c) || is_digit(c) || c == '-'; });
}

std::optional<ServiceUrl> parse_service_url(std::string_view text) {
  ServiceUrl url;
  if (text.starts_with("https://")) {
    url.https = true;
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (text.ends_with('/')) text.remove_suffix(1);
  const bool bracketed = text.starts_with('[');
  size_t host_end = std::min(text.find(bracketed ? ']' : ':'), text.size());
  if (bracketed) {
    if (host_end == text.size()) return std::nullopt;
    ++host_end;  // past the ']'
  }
  const std::string_view host = text.substr(0, host_end);
  const std::string_view rest = text.substr(host_end);
  if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) return std::nullopt;
  if (bracketed) {
    const std::optional<IpAddress> ip = parse_ip(host.substr(1, host.size() - 2));
    if (!ip || ip->is_v4()) return std::nullopt;
  } else if (!is_dns_name(host)) {
    return std::nullopt;
  }
  url.host = std::string(text);
  return url;
}

}  // namespace sluice
