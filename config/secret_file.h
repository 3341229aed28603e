// Secrets the configuration names by file rather than holds (ha.sync.key_file,
// http.token_file): a YAML file gets copied, mailed and pasted into tickets; a key file
// readable by its owner only does not.
// Thread safety: as the loader (one Context per load).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/yaml_reader.h"

namespace sluice::config {

// The file's bytes (a trailing newline dropped): 16 to 1024 of them (128 bits at least, as
// HMAC-SHA256 keys should be), in a file no one but its owner may read. `what` names it in
// errors ("key file"); its bytes never appear in one.
std::optional<std::vector<uint8_t>> read_secret_file(Context& cx, const Element& e,
                                                     const std::string& path, const char* what);

}  // namespace sluice::config
