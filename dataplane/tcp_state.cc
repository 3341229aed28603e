#include "dataplane/tcp_state.h"

namespace sluice::dp {
namespace {

// What a segment does to the state, by its flags as IPVS ranks them (tcp_state_idx): RST
// first, then SYN, FIN, ACK; a segment with none of them changes nothing.
enum Event : uint8_t { kSyn, kFin, kAck, kRst, kEvents };

constexpr ConnState sSR = ConnState::syn_recv, sES = ConnState::established,
                    sFW = ConnState::fin_wait, sCL = ConnState::close;

// IPVS's tcp_states (net/netfilter/ipvs/ip_vs_proto_tcp.c), columns folded onto our four
// states: FIN_WAIT, TIME_WAIT, CLOSE_WAIT and LAST_ACK are one fin_wait (they share a
// timeout here), and SYN_SENT (a server's SYN, which only active FTP would send) is
// syn_recv. Folded this way IPVS's INPUT and INPUT-ONLY (dr, tun) rows agree, so one
// table per direction serves every mode. Indexed [event][state].
constexpr ConnState kFromClient[kEvents][4] = {
    //         syn_recv  established fin_wait  close
    /* syn */ {sSR, sES, sSR, sSR},  // a stray SYN keeps an established connection
    /* fin */ {sFW, sFW, sFW, sCL},
    /* ack */ {sES, sES, sFW, sCL},
    /* rst */ {sSR, sCL, sCL, sCL},  // RST in syn_recv: keeps its server for a retried SYN
};
constexpr ConnState kFromServer[kEvents][4] = {
    /* syn */ {sSR, sES, sSR, sSR},
    /* fin */ {sFW, sFW, sFW, sCL},
    /* ack */ {sES, sES, sFW, sCL},
    /* rst */ {sCL, sCL, sCL, sCL},
};

}  // namespace

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

// RSTs are taken without a sequence check, as IPVS takes them: sluice tracks no sequence
// numbers (dr and tun see one direction only, so the server's window is unknown, and a
// window per direction would grow the 52-byte entry by 8 bytes). A forged RST must guess
// the client's port; it can at most move the entry to close, whose timeout (tcp_close)
// every later packet renews, while the real server, which checks the RST (RFC 5961),
// keeps its socket. An idle connection hit so is forgotten after tcp_close.
ConnState next_tcp_state(ConnState current, uint8_t flags, bool from_client) {
  if (current == ConnState::udp) return current;
  Event e;
  if (flags & kTcpRst) {
    e = kRst;
  } else if (flags & kTcpSyn) {
    e = kSyn;
  } else if (flags & kTcpFin) {
    e = kFin;
  } else if (flags & kTcpAck) {
    e = kAck;
  } else {
    return current;
  }
  const auto s = static_cast<uint8_t>(current);
  return from_client ? kFromClient[e][s] : kFromServer[e][s];
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
