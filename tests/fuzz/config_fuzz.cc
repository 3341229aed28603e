// libFuzzer target: the config loader and validator on arbitrary text (YAML syntax, types,
// limits, cross-key rules). Must never crash, hang or leak; every refusal is an error list.
// Run: scripts/fuzz (docs/performance.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const sluice::config::LoadResult r = sluice::config::load_string(text, "fuzz.yaml");
  // A result is either a config or at least one error.
  if (!r.config && r.errors.empty()) __builtin_trap();
  return 0;
}
