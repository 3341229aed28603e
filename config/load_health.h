// The loader's part for health: a service's `health_check` and `feedback`, a real server's
// own keys on top of them, and the top-level `health` section (docs/configuration.md).
// Thread safety: as the loader (one Context per load).
#pragma once

#include <optional>

#include "config/model.h"
#include "config/yaml_reader.h"

namespace sluice::config {

// `base` holds what the mapping does not set: the defaults for a service's own check, the
// service's check for a real server's keys. A key that does not apply to the check's type
// (a `path` on a ping check) is an error, so that a typo'd type does not pass silently.
std::optional<HealthCheck> parse_health_check(Context& cx, const Element& e,
                                              const HealthCheck& base);
std::optional<Feedback> parse_feedback(Context& cx, const Element& e, const Feedback& base);
void parse_health_settings(Context& cx, const Element& e, HealthSettings& health);

}  // namespace sluice::config
