#include "control/events.h"

#include "control/log.h"

namespace sluice::control {

std::string format_event(const Event& e) {
  const LogField fields[] = {{"service", e.service}, {"server", e.server}, {"from", e.from},
                             {"to", e.to}, {"reason", e.reason}};
  return format_fields(e.kind, fields);
}

}  // namespace sluice::control
