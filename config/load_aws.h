// The loader's part for an HA instance's AWS mode: its `aws` mapping (docs/configuration.md,
// "ha"). Everything in it ends up in an EC2 request or a URL, so each value is held to AWS's
// form here, with the line, rather than refused by AWS at the first take-over.
// Thread safety: as the loader (one Context per load).
#pragma once

#include <optional>
#include <vector>

#include "config/model.h"
#include "config/yaml_reader.h"

namespace sluice::config {

// `addresses`: the instance's floating addresses, which private_addresses defaults to.
std::optional<AwsMode> parse_aws(Context& cx, const Element& e,
                                 const std::vector<IpAddress>& addresses);

}  // namespace sluice::config
