// What an http or https check expects of the answer: a status in a set of codes and ranges
// (default 200-399, as HAProxy's httpchk: a redirect is a live server; ldirectord's negotiate
// takes 2xx only, so "200-299" gives its behaviour), and optionally a body that contains a
// string, or matches a POSIX extended regular expression, or (absent) must not.
// Thread safety: an HttpExpect is immutable after make(); match() may run from any thread.
#pragma once

#include <regex.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status_ranges.h"

namespace sluice::control::health {

struct BodyRule {
  std::string contains;  // substring; empty: none
  std::string regex;     // POSIX extended; empty: none
  bool absent = false;   // the body must NOT contain / match
};

class HttpExpect {
 public:
  // Fails with regcomp's message when the regex does not compile.
  static Result<HttpExpect> make(std::vector<StatusRange> statuses, BodyRule body);

  // Empty when the answer is as expected, else why not, as shown to operators:
  // "HTTP 503", "body does not contain \"OK\"", "body matches \"error\"".
  // A std::string, not a view: regexec's callers under AddressSanitizer (the debug build, the
  // fuzz target) read the body up to a NUL even with REG_STARTEND, and a std::string has one.
  std::optional<std::string> mismatch(int status, const std::string& body) const;

 private:
  struct Compiled;
  std::vector<StatusRange> statuses_;
  BodyRule body_;
  std::shared_ptr<const Compiled> regex_;  // regex_t, freed with the last copy
};

}  // namespace sluice::control::health
