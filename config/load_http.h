// The loader's part for the HTTP endpoint: the `http` block (docs/configuration.md, "http").
// Thread safety: as the loader (one Context per load).
#pragma once

#include <optional>

#include "config/model.h"
#include "config/yaml_reader.h"

namespace sluice::config {

std::optional<HttpSettings> parse_http(Context& cx, const Element& e);

}  // namespace sluice::config
