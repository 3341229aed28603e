// The loader's part for high availability: the `ha` section (docs/configuration.md, "ha").
// Thread safety: as the loader (one Context per load).
#pragma once

#include "config/model.h"
#include "config/yaml_reader.h"

namespace sluice::config {

void parse_ha(Context& cx, const Element& e, Ha& ha);
// What needs the whole configuration: interfaces, floating addresses, unique VRIDs.
void validate_ha(const Config& cfg, Context& cx);

}  // namespace sluice::config
