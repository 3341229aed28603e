// Bytes written as hex in a test ("3133960200...": a packet another implementation built).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::test {

inline std::vector<uint8_t> hex(const std::string& text) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace sluice::test
