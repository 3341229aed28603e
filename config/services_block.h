// The top-level `virtual_services:` block of a configuration file, as text: what `sluicectl
// ha push` sends to the HA peer, and how the peer puts it in its own file in place of its
// own, leaving everything else (interfaces, addresses, ha, comments) as it was. A block runs
// from its `virtual_services:` line, at the start of a line, to its last line of content
// before the next top-level key (a line whose first character is none of a blank, '-', '#'
// or a flow collection's brackets and commas); blank lines and column-0 comments just before
// that key belong to it.
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sluice::config {

// The block, or nullopt when the text has none.
std::optional<std::string> services_block(std::string_view text);
// `text` with `block` in place of its own block (at its end when it has none). An error when
// `block` is not one virtual_services block and nothing else.
Result<std::string> with_services_block(std::string_view text, std::string_view block);

}  // namespace sluice::config
