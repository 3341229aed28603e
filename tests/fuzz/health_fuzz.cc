// libFuzzer target: what real servers send the health checker, on arbitrary bytes: a feedback
// agent's reply (both dialects) and an HTTP body judged by a body rule with a regex, and the
// operator's status list. Must never crash; every verdict is one line.
// Run: scripts/fuzz (docs/performance.md).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status_ranges.h"
#include "control/health/agent_reply.h"
#include "control/health/http_expect.h"

namespace {

using namespace sluice;
using namespace sluice::control::health;

const HttpExpect& expect() {
  static const HttpExpect e =
      HttpExpect::make({{200, 299}}, {.contains = "", .regex = "^(OK|ok)[0-9]*$", .absent = false})
          .value();
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const AgentReply reply = parse_agent_reply(text);
  if (reply.percent && *reply.percent > 100) __builtin_trap();
  if (reply.unknown.size() > 8) __builtin_trap();
  const std::optional<std::string> why = expect().mismatch(200, std::string(text));
  if (why && why->find('\n') != std::string::npos) __builtin_trap();
  const Result<std::vector<StatusRange>> ranges = parse_status_ranges(text);
  if (!ranges && ranges.error().find('\n') != std::string::npos) __builtin_trap();
  if (ranges) {
    for (const StatusRange& r : ranges.value()) {
      if (r.first < 100 || r.last > 599 || r.first > r.last) __builtin_trap();
    }
  }
  return 0;
}
