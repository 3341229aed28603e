#include "control/health/http_expect.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace sluice::control::health {

// The compiled regex, shared by the copies of an HttpExpect: regex_t cannot be copied.
struct HttpExpect::Compiled {
  explicit Compiled(const std::string& pattern)
      : status(regcomp(&regex, pattern.c_str(), REG_EXTENDED | REG_NOSUB)) {}
  ~Compiled() {
    if (status == 0) regfree(&regex);  // a failed regcomp has freed what it took
  }
  Compiled(const Compiled&) = delete;
  Compiled& operator=(const Compiled&) = delete;

  regex_t regex{};
  int status;  // regcomp's: 0 compiled
};

namespace {

constexpr uint16_t kFirstStatus = 100;
constexpr uint16_t kLastStatus = 599;
// Configured text quoted in a message is cut to this many bytes: a reason is one line.
constexpr size_t kMaxQuoted = 60;

std::string_view trimmed(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

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

// Quoted and cut to kMaxQuoted bytes, back to a character's start so that UTF-8 stays valid
// (JSON writers refuse broken text).
std::string shown(std::string_view text) {
  if (text.size() <= kMaxQuoted) return quoted(text);
  size_t keep = kMaxQuoted;
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return quoted(text.substr(0, keep)) + "...";
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
    return Error{"invalid status " + shown(item) +
                 " (expected a code such as 200 or a range such as 200-299)"};
  }
  if (!is_status(*first) || !is_status(*last)) {
    return Error{"status " + shown(item) + " is out of range (expected codes 100..599)"};
  }
  if (*first > *last) return Error{"reversed status range " + shown(item)};
  return StatusRange{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

// regexec over exactly the body, NUL bytes included and nothing copied (REG_STARTEND):
// 0 when it matches, REG_NOMATCH when not, anything else is regexec failing.
int search(const regex_t& regex, std::string_view body) {
  // regoff_t is an int: bodies are kept to kMaxHttpBody (probes.h), far below its limit.
  regmatch_t range{.rm_so = 0, .rm_eo = static_cast<regoff_t>(body.size())};
  // An empty view may have no storage at all; regexec wants a pointer all the same.
  const char* text = body.empty() ? "" : body.data();
  return regexec(&regex, text, 1, &range, REG_STARTEND);
}

std::string regex_error(int status, const regex_t& regex) {
  char text[256];
  regerror(status, &regex, text, sizeof text);
  return text;
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
    if (item.empty()) return Error{"empty item in the status list " + shown(text)};
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

Result<HttpExpect> HttpExpect::make(std::vector<StatusRange> statuses, BodyRule body) {
  HttpExpect expect;
  if (!body.regex.empty()) {
    // c_str() would end the pattern at the NUL: what compiled would not be what was written.
    if (body.regex.find('\0') != std::string::npos) {
      return Error{"invalid regex " + shown(body.regex) + ": it contains a NUL byte"};
    }
    std::shared_ptr<const Compiled> compiled = std::make_shared<Compiled>(body.regex);
    if (compiled->status != 0) {
      return Error{"invalid regex " + shown(body.regex) + ": " +
                   regex_error(compiled->status, compiled->regex)};
    }
    expect.regex_ = std::move(compiled);
  }
  expect.statuses_ = std::move(statuses);
  expect.body_ = std::move(body);
  return expect;
}

std::optional<std::string> HttpExpect::mismatch(int status, std::string_view body) const {
  const bool status_expected = std::any_of(
      statuses_.begin(), statuses_.end(),
      [status](const StatusRange& range) { return status >= range.first && status <= range.last; });
  if (!status_expected) return "HTTP " + std::to_string(status);
  const bool want = !body_.absent;
  if (!body_.contains.empty() && (body.find(body_.contains) != std::string_view::npos) != want) {
    return std::string(want ? "body does not contain " : "body contains ") + shown(body_.contains);
  }
  if (regex_) {
    const int found = search(regex_->regex, body);
    if (found != 0 && found != REG_NOMATCH) {
      return "body not matched against " + shown(body_.regex) + ": " +
             regex_error(found, regex_->regex);
    }
    if ((found == 0) != want) {
      return std::string(want ? "body does not match " : "body matches ") + shown(body_.regex);
    }
  }
  return std::nullopt;
}

}  // namespace sluice::control::health
