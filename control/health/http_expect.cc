#include "control/health/http_expect.h"

#include "common/quoted_line.h"

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

Result<HttpExpect> HttpExpect::make(std::vector<StatusRange> statuses, BodyRule body) {
  HttpExpect expect;
  if (!body.regex.empty()) {
    // c_str() would end the pattern at the NUL: what compiled would not be what was written.
    if (body.regex.find('\0') != std::string::npos) {
      return Error{"invalid regex " + quoted_line(body.regex) + ": it contains a NUL byte"};
    }
    std::shared_ptr<const Compiled> compiled = std::make_shared<Compiled>(body.regex);
    if (compiled->status != 0) {
      return Error{"invalid regex " + quoted_line(body.regex) + ": " +
                   regex_error(compiled->status, compiled->regex)};
    }
    expect.regex_ = std::move(compiled);
  }
  expect.statuses_ = std::move(statuses);
  expect.body_ = std::move(body);
  return expect;
}

std::optional<std::string> HttpExpect::mismatch(int status, const std::string& body) const {
  if (!status_in(statuses_, status)) return "HTTP " + std::to_string(status);
  const bool want = !body_.absent;
  if (!body_.contains.empty() && (body.find(body_.contains) != std::string_view::npos) != want) {
    return std::string(want ? "body does not contain " : "body contains ") + quoted_line(body_.contains);
  }
  if (regex_) {
    const int found = search(regex_->regex, body);
    if (found != 0 && found != REG_NOMATCH) {
      return "body not matched against " + quoted_line(body_.regex) + ": " +
             regex_error(found, regex_->regex);
    }
    if ((found == 0) != want) {
      return std::string(want ? "body does not match " : "body matches ") + quoted_line(body_.regex);
    }
  }
  return std::nullopt;
}

}  // namespace sluice::control::health
