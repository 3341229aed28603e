// HTTP status codes a check accepts, as the operator writes them: "200-299,302" or "200".
// The loader reads them (errors at load time, with the line), the checker matches against them.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace sluice {

struct StatusRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool operator==(const StatusRange&) const = default;
};

// Codes 100..599, ranges first-last with first <= last, separated by commas (spaces around
// them allowed). Error says which part is wrong.
Result<std::vector<StatusRange>> parse_status_ranges(std::string_view text);
// Back to text: "200-299,302".
std::string format_status_ranges(const std::vector<StatusRange>& ranges);
bool status_in(const std::vector<StatusRange>& ranges, int status);

}  // namespace sluice
