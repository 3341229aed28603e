// What a feedback agent's reply says, parsed. Two dialects arrive on the same port:
//   - the Loadbalancer.org agent (seeds 001-004): a bare integer 0..100, the server's idle
//     percentage, which scales its configured weight;
//   - HAProxy's agent-check: words separated by spaces, tabs or commas, in any order:
//     "NN%" (weight percentage), "ready" / "drain" / "maint" (administrative), "up" /
//     "down" / "fail" / "stopped" (operational; the last three may carry "#reason" after them).
//     As in HAProxy, everything after the first '#' is the reason, not words.
// Only the first line counts (ended by '\r', '\n' or the end of the text); words are matched
// case-insensitively; a word not understood is kept in `unknown` (the caller logs it) and
// changes nothing. Percentages above 100 are taken as 100: an agent may lower a server's weight,
// never raise it above what the operator configured. A word of the first line that the cut at
// kMaxAgentReply splits may be a piece of another ("75%" cut to "7"): it goes to `unknown`.
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::control::health {

// Replies are read up to this many bytes; the rest is cut (and `cut` says so).
inline constexpr size_t kMaxAgentReply = 512;

enum class AgentAdmin : uint8_t { ready, drain, maint };

struct AgentReply {
  std::optional<uint32_t> percent;    // 0..100
  std::optional<AgentAdmin> admin;    // the last administrative word
  std::optional<bool> up;             // the last operational word: up true; down, fail, stopped false
  std::string reason;                 // the text after '#', when the reply gave one
  std::vector<std::string> unknown;   // words not understood, as received (at most 8 kept)
  bool cut = false;                   // the reply was longer than kMaxAgentReply
  bool empty() const { return !percent && !admin && !up; }  // nothing usable
};

AgentReply parse_agent_reply(std::string_view text);

}  // namespace sluice::control::health
