// Views as the control API gives them, for the tests of what the HTTP endpoint renders.
#pragma once

#include <string>

#include "common/ip_text.h"
#include "control/api.h"

namespace sluice::control::http {

inline ServerView server_view(const std::string& service, const std::string& server,
                              AdminState state = AdminState::online, Health health = Health::up) {
  ServerView s;
  s.service = service;
  s.vip = parse_ip("198.18.0.11").value();
  s.ports = "80";
  s.protocol = "tcp";
  s.server = server;
  s.state = state;
  s.effective_state = state;
  s.configured_weight = s.weight = 1;
  s.check = CheckType::http;
  s.run.health = health;
  return s;
}

inline VipView vip_view(const std::string& name) {
  return {.name = name, .address = parse_ip("198.18.0.11").value(), .ports = "80",
          .protocol = "tcp", .mode = Mode::nat, .scheduler = Scheduler::rr, .servers = 1};
}

}  // namespace sluice::control::http
