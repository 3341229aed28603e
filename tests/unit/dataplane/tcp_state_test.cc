#include "dataplane/tcp_state.h"

#include <gtest/gtest.h>

namespace sluice::dp {
namespace {

TEST(TcpState, HandshakeFromTheClientSideEstablishes) {
  ConnState s = next_tcp_state(ConnState::syn_recv, kTcpSyn, true);
  EXPECT_EQ(s, ConnState::syn_recv);
  s = next_tcp_state(s, kTcpSyn | kTcpAck, false);  // nat sees the server's SYN-ACK
  EXPECT_EQ(s, ConnState::syn_recv);
  s = next_tcp_state(s, kTcpAck, true);
  EXPECT_EQ(s, ConnState::established);
}

TEST(TcpState, FinAndRstMoveToClosingStates) {
  EXPECT_EQ(next_tcp_state(ConnState::established, kTcpFin | kTcpAck, false), ConnState::fin_wait);
  EXPECT_EQ(next_tcp_state(ConnState::fin_wait, kTcpAck, true), ConnState::fin_wait);
  EXPECT_EQ(next_tcp_state(ConnState::established, kTcpRst, true), ConnState::close);
  EXPECT_EQ(next_tcp_state(ConnState::syn_recv, kTcpRst | kTcpAck, false), ConnState::close);
}

TEST(TcpState, ANewSynReusesAClosingTuple) {
  EXPECT_EQ(next_tcp_state(ConnState::fin_wait, kTcpSyn, true), ConnState::syn_recv);
  EXPECT_EQ(next_tcp_state(ConnState::close, kTcpSyn, true), ConnState::syn_recv);
}

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
