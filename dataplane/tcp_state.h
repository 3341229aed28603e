// Connection states and how packets move a connection between them: IPVS's TCP state table
// (ip_vs_proto_tcp.c) folded onto four states; it works from either one direction (dr, tun)
// or both (nat, snat).
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
