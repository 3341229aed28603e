// Connection states and how packets move a connection between them: a reduced form of the
// IPVS state table that works from either one direction (dr) or both (nat).
// Thread safety: pure functions.
#pragma once

#include <cstdint>

#include "dataplane/snapshot.h"

namespace sluice::dp {

enum class ConnState : uint8_t {
  syn_recv,     // client SYN seen, handshake not finished
  established,  // client ACKed
  fin_wait,     // FIN seen from either side
  close,        // RST seen
  udp,          // UDP has one state
};

const char* to_string(ConnState);

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

// The state after a TCP segment with `flags`; from_client is false for server-to-client.
ConnState next_tcp_state(ConnState current, uint8_t flags, bool from_client);

uint32_t timeout_of(ConnState state, const ConnTimeouts& t);

}  // namespace sluice::dp
