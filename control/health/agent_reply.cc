#include "control/health/agent_reply.h"

#include <algorithm>
#include <charconv>

namespace sluice::control::health {
namespace {

// Enough to show the operator what a confused agent says without letting it fill the log.
constexpr size_t kMaxUnknownKept = 8;
constexpr uint32_t kFullPercent = 100;

constexpr std::string_view kSeparators = " \t,";
constexpr std::string_view kLineEnds = "\r\n";

struct Keyword {
  std::string_view name;  // lower case
  std::optional<AgentAdmin> admin;
  std::optional<bool> up;
};

constexpr Keyword kKeywords[] = {
    {"ready", AgentAdmin::ready, std::nullopt},
    {"drain", AgentAdmin::drain, std::nullopt},
    {"maint", AgentAdmin::maint, std::nullopt},
    {"up", std::nullopt, true},
    {"down", std::nullopt, false},
    {"fail", std::nullopt, false},
    {"stopped", std::nullopt, false},
};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_ignoring_case(std::string_view word, std::string_view lower_case) {
  return std::equal(word.begin(), word.end(), lower_case.begin(), lower_case.end(),
                    [](char a, char b) { return lower(a) == b; });
}

bool ends_a_word(char c) {
  return kSeparators.find(c) != std::string_view::npos ||
         kLineEnds.find(c) != std::string_view::npos || c == '#';
}

std::string_view trimmed(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// "75%" (HAProxy) or "75" (Loadbalancer.org): all digits, so "-5", "50.5%" and "12abc" are not
// percentages, nor is a number too long for 32 bits.
std::optional<uint32_t> percentage(std::string_view word) {
  if (word.ends_with('%')) word.remove_suffix(1);
  uint32_t value = 0;
  const char* end = word.data() + word.size();
  const auto [stop, error] = std::from_chars(word.data(), end, value);
  if (error != std::errc{} || stop != end) return std::nullopt;
  return std::min(value, kFullPercent);
}

// Applies one word to the reply; false when the word is not understood.
bool apply(std::string_view word, AgentReply& reply) {
  if (const std::optional<uint32_t> percent = percentage(word)) {
    reply.percent = percent;
    return true;
  }
  for (const Keyword& keyword : kKeywords) {
    if (!same_ignoring_case(word, keyword.name)) continue;
    if (keyword.admin) reply.admin = keyword.admin;
    if (keyword.up) reply.up = keyword.up;
    return true;
  }
  return false;
}

void keep_unknown(std::string_view word, AgentReply& reply) {
  if (reply.unknown.size() < kMaxUnknownKept) reply.unknown.emplace_back(word);
}

// `last_word_cut`: the cut fell inside the last word, which may be the start of another ("75%"
// cut to "7"): it is reported as not understood rather than believed.
void apply_words(std::string_view words, bool last_word_cut, AgentReply& reply) {
  size_t begin = words.find_first_not_of(kSeparators);
  while (begin != std::string_view::npos) {
    const size_t end = std::min(words.find_first_of(kSeparators, begin), words.size());
    const std::string_view word = words.substr(begin, end - begin);
    const bool whole = !last_word_cut || end < words.size();
    if (!whole || !apply(word, reply)) keep_unknown(word, reply);
    begin = words.find_first_not_of(kSeparators, end);
  }
}

}  // namespace

AgentReply parse_agent_reply(std::string_view text) {
  AgentReply reply;
  reply.cut = text.size() > kMaxAgentReply;
  const bool cut_inside_a_word = reply.cut && !ends_a_word(text[kMaxAgentReply]);
  text = text.substr(0, kMaxAgentReply);
  const size_t line_end = text.find_first_of(kLineEnds);
  const std::string_view line = text.substr(0, line_end);
  // HAProxy's rule: whatever follows the first '#' is the description, not words.
  const size_t sharp = line.find('#');
  if (sharp != std::string_view::npos) reply.reason = trimmed(line.substr(sharp + 1));
  const bool last_word_cut =
      cut_inside_a_word && line_end == std::string_view::npos && sharp == std::string_view::npos;
  apply_words(line.substr(0, sharp), last_word_cut, reply);
  return reply;
}

}  // namespace sluice::control::health
