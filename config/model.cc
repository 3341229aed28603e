#include "config/model.h"

namespace sluice::config {

// The names are the YAML spellings: the loader parses with them and errors quote them.

const char* to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::tcp: return "tcp";
    case Protocol::udp: return "udp";
  }
  return "?";
}

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::dr: return "dr";
    case Mode::nat: return "nat";
  }
  return "?";
}

const char* to_string(Scheduler scheduler) {
  switch (scheduler) {
    case Scheduler::rr: return "rr";
    case Scheduler::wrr: return "wrr";
    case Scheduler::wlc: return "wlc";
  }
  return "?";
}

const char* to_string(AdminState state) {
  switch (state) {
    case AdminState::online: return "online";
    case AdminState::drain: return "drain";
    case AdminState::halt: return "halt";
  }
  return "?";
}

}  // namespace sluice::config
