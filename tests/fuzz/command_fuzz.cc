// libFuzzer target: the control-socket command parser on arbitrary lines. Must never crash;
// every refusal has a one-line reason.
// Run: scripts/fuzz (docs/performance.md).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/command_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const sluice::control::ParsedCommand p = sluice::control::parse_command(line);
  if (!p.command && (p.error.empty() || p.error.find('\n') != std::string::npos)) __builtin_trap();
  return 0;
}
