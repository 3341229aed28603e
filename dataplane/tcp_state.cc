#include "dataplane/tcp_state.h"

namespace sluice::dp {

const char* to_string(ConnState s) {
  switch (s) {
    case ConnState::syn_recv: return "syn_recv";
    case ConnState::established: return "established";
    case ConnState::fin_wait: return "fin_wait";
    case ConnState::close: return "close";
    case ConnState::udp: return "udp";
  }
  return "?";
}

ConnState next_tcp_state(ConnState current, uint8_t flags, bool from_client) {
  if (flags & kTcpRst) return ConnState::close;
  if (flags & kTcpFin) return ConnState::fin_wait;
  // A fresh SYN from the client on a closing connection reuses the tuple (IPVS
  // conn_reuse_mode): the handshake starts again with the same real server.
  if ((flags & kTcpSyn) && !(flags & kTcpAck) && from_client) return ConnState::syn_recv;
  if (current == ConnState::syn_recv && from_client && (flags & kTcpAck)) {
    return ConnState::established;
  }
  return current;
}

uint32_t timeout_of(ConnState state, const ConnTimeouts& t) {
  switch (state) {
    case ConnState::syn_recv: return t.tcp_syn;
    case ConnState::established: return t.tcp;
    case ConnState::fin_wait: return t.tcp_fin;
    case ConnState::close: return t.tcp_close;
    case ConnState::udp: return t.udp;
  }
  return t.tcp_close;
}

}  // namespace sluice::dp
