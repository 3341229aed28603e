// Text from outside (configuration, a server's reply) shown in a one-line message: control
// bytes as \xNN, cut to `max` bytes (then "...") back to a character's start so that UTF-8
// stays valid for JSON writers.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice {

// As it stands: `abc...`.
std::string printable(std::string_view text, size_t max);
// Between double quotes: `"abc"...`.
std::string quoted_line(std::string_view text, size_t max = 60);

}  // namespace sluice
