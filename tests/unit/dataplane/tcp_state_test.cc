#include "dataplane/tcp_state.h"

#include <gtest/gtest.h>

namespace sluice::dp {
namespace {

constexpr bool kClient = true, kServer = false;
constexpr uint8_t kNone = 0, kSynAck = kTcpSyn | kTcpAck, kFinAck = kTcpFin | kTcpAck,
                  kRstAck = kTcpRst | kTcpAck, kSynFin = kTcpSyn | kTcpFin;

struct Transition {
  ConnState from;
  uint8_t flags;
  bool from_client;
  ConnState to;
};

void PrintTo(const Transition& t, std::ostream* os) {
  *os << to_string(t.from) << " +" << int{t.flags} << (t.from_client ? " client" : " server")
      << " -> " << to_string(t.to);
}

class TcpStateTable : public testing::TestWithParam<Transition> {};

TEST_P(TcpStateTable, FollowsIpvs) {
  const Transition& t = GetParam();
  EXPECT_EQ(next_tcp_state(t.from, t.flags, t.from_client), t.to);
}

using S = ConnState;

// Every cell of the table (ip_vs_proto_tcp.c tcp_states, folded onto our states).
INSTANTIATE_TEST_SUITE_P(
    Cells, TcpStateTable,
    testing::Values(Transition{S::syn_recv, kTcpSyn, kClient, S::syn_recv},
                    Transition{S::established, kTcpSyn, kClient, S::established},  // stray SYN
                    Transition{S::fin_wait, kTcpSyn, kClient, S::syn_recv},
                    Transition{S::close, kTcpSyn, kClient, S::syn_recv},
                    Transition{S::syn_recv, kFinAck, kClient, S::fin_wait},
                    Transition{S::established, kFinAck, kClient, S::fin_wait},
                    Transition{S::fin_wait, kFinAck, kClient, S::fin_wait},
                    Transition{S::close, kFinAck, kClient, S::close},
                    Transition{S::syn_recv, kTcpAck, kClient, S::established},
                    Transition{S::established, kTcpAck, kClient, S::established},
                    Transition{S::fin_wait, kTcpAck, kClient, S::fin_wait},
                    Transition{S::close, kTcpAck, kClient, S::close},
                    Transition{S::syn_recv, kTcpRst, kClient, S::syn_recv},
                    Transition{S::established, kTcpRst, kClient, S::close},
                    Transition{S::fin_wait, kTcpRst, kClient, S::close},
                    Transition{S::close, kTcpRst, kClient, S::close},
                    Transition{S::syn_recv, kSynAck, kServer, S::syn_recv},
                    Transition{S::established, kSynAck, kServer, S::established},
                    Transition{S::fin_wait, kTcpSyn, kServer, S::syn_recv},
                    Transition{S::close, kTcpSyn, kServer, S::syn_recv},
                    Transition{S::syn_recv, kFinAck, kServer, S::fin_wait},
                    Transition{S::established, kFinAck, kServer, S::fin_wait},
                    Transition{S::fin_wait, kFinAck, kServer, S::fin_wait},
                    Transition{S::close, kFinAck, kServer, S::close},
                    Transition{S::syn_recv, kTcpAck, kServer, S::established},
                    Transition{S::established, kTcpAck, kServer, S::established},
                    Transition{S::fin_wait, kTcpAck, kServer, S::fin_wait},
                    Transition{S::close, kTcpAck, kServer, S::close},
                    Transition{S::syn_recv, kRstAck, kServer, S::close},
                    Transition{S::established, kTcpRst, kServer, S::close},
                    Transition{S::fin_wait, kTcpRst, kServer, S::close},
                    Transition{S::close, kTcpRst, kServer, S::close}));

// Which flag counts when several are set (RST, then SYN, then FIN, then ACK), and that a
// segment without any of them, or a UDP connection, changes nothing.
INSTANTIATE_TEST_SUITE_P(Precedence, TcpStateTable,
                         testing::Values(Transition{S::established, kRstAck, kClient, S::close},
                                         Transition{S::established, kSynFin, kClient,
                                                    S::established},
                                         Transition{S::established, kFinAck, kServer, S::fin_wait},
                                         Transition{S::syn_recv, kNone, kClient, S::syn_recv},
                                         Transition{S::close, kNone, kServer, S::close},
                                         Transition{S::udp, kTcpRst, kClient, S::udp}));

TEST(TcpState, TimeoutsFollowTheConfiguredValues) {
  const ConnTimeouts t{.tcp = 900, .tcp_fin = 120, .tcp_syn = 60, .tcp_close = 10, .udp = 300};
  EXPECT_EQ(timeout_of(ConnState::established, t), 900u);
  EXPECT_EQ(timeout_of(ConnState::fin_wait, t), 120u);
  EXPECT_EQ(timeout_of(ConnState::syn_recv, t), 60u);
  EXPECT_EQ(timeout_of(ConnState::close, t), 10u);
  EXPECT_EQ(timeout_of(ConnState::udp, t), 300u);
}

}  // namespace
}  // namespace sluice::dp
