// Text from outside (configuration, a server's reply) shown in a one-line message: between
// double quotes, control bytes as \xNN, cut to `max` bytes (then "...") back to a character's
// start so that UTF-8 stays valid for JSON writers.
// Thread safety: pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice {

std::string quoted_line(std::string_view text, size_t max = 60);

}  // namespace sluice
