// The VRRP state machine (control/ha/vrrp_state.cc) over explicit time, against RFC 5798's
// timers: Master_Down_Interval = 3 x interval + Skew_Time, Skew_Time = (256 - priority) x
// interval / 256.
#include "control/ha/vrrp_state.h"

#include <gtest/gtest.h>

#include "common/ip_text.h"

namespace sluice::control::ha {
namespace {

IpAddress ip(const char* text) { return parse_ip(text).value(); }

VrrpSettings settings(uint8_t priority, bool preempt = true, uint32_t delay_ms = 0,
                      const char* address = "198.18.0.2") {
  return {.vrid = 1, .priority = priority, .interval_cs = 100, .preempt = preempt,
          .preempt_delay_ms = delay_ms, .address = ip(address)};
}

Advert advert(uint8_t priority, uint16_t interval_cs = 100) {
  return {1, priority, interval_cs, {ip("198.18.0.10")}};
}

const IpAddress kPeer = ip("198.18.0.3");

TEST(VrrpState, ABackupTakesOverAfterTheMasterDownInterval) {
  VrrpInstance v(settings(100));
  EXPECT_EQ(v.start(0).entered, VrrpState::backup);
  // 3 x 1000 ms + (256 - 100) x 100 / 256 cs = 3000 + 600 ms (60 cs, integer division).
  EXPECT_EQ(v.deadline_ms(), 3600u);
  EXPECT_FALSE(v.on_timer(3599).entered);
  const VrrpActions a = v.on_timer(3600);
  EXPECT_EQ(a.entered, VrrpState::master);
  EXPECT_TRUE(a.send_advert);
  EXPECT_EQ(a.advert_priority, 100);
  EXPECT_EQ(v.deadline_ms(), 4600u);  // the next advert
  const VrrpActions again = v.on_timer(4600);
  EXPECT_TRUE(again.send_advert);
  EXPECT_FALSE(again.entered);
}

TEST(VrrpState, AdvertsOfAMasterKeepABackupWaiting) {
  VrrpInstance v(settings(100));
  v.start(0);
  for (uint64_t t = 1000; t <= 10'000; t += 1000) {
    EXPECT_FALSE(v.on_advert(t, advert(200), kPeer).entered);
    EXPECT_FALSE(v.on_timer(t + 500).entered);
  }
  EXPECT_EQ(v.state(), VrrpState::backup);
  // The master's own interval counts: 25 cs adverts make the master-down interval 0.75 s+.
  v.on_advert(20'000, advert(200, 25), kPeer);
  EXPECT_EQ(v.master_interval_cs(), 25);
  EXPECT_EQ(v.deadline_ms(), 20'000u + 750 + 150);  // skew (156 x 25 / 256 = 15 cs)
}

TEST(VrrpState, PriorityZeroMeansTakeOverAfterSkewOnly) {
  VrrpInstance v(settings(200));
  v.start(0);
  v.on_advert(1000, advert(250), kPeer);
  v.on_advert(1500, advert(0), kPeer);           // the master is leaving
  EXPECT_EQ(v.deadline_ms(), 1500u + 210);        // (256 - 200) x 100 / 256 = 21 cs
  EXPECT_EQ(v.on_timer(1710).entered, VrrpState::master);
}

TEST(VrrpState, PreemptTakesOverFromALowerMasterNopreemptDoesNot) {
  VrrpInstance preempting(settings(150));
  preempting.start(0);
  for (uint64_t t = 500; t < 5000; t += 1000) preempting.on_advert(t, advert(100), kPeer);
  EXPECT_EQ(preempting.on_timer(3600).entered, VrrpState::master);  // lower adverts ignored

  VrrpInstance patient(settings(150, false));
  patient.start(0);
  for (uint64_t t = 500; t < 20'000; t += 1000) {
    patient.on_advert(t, advert(100), kPeer);
    EXPECT_FALSE(patient.on_timer(t + 999).entered);
  }
  EXPECT_EQ(patient.state(), VrrpState::backup);
}

TEST(VrrpState, PreemptDelayWaitsAfterStart) {
  VrrpInstance v(settings(150, true, 10'000));
  v.start(0);
  for (uint64_t t = 500; t < 10'000; t += 1000) {
    v.on_advert(t, advert(100), kPeer);
    EXPECT_FALSE(v.on_timer(t + 999).entered) << t;
  }
  // Past the delay, lower adverts no longer hold it: it takes over at its master-down time.
  v.on_advert(10'500, advert(100), kPeer);
  EXPECT_EQ(v.deadline_ms(), 9'500u + 3000 + 410);  // the last advert it heeded, at 9,500
  EXPECT_EQ(v.on_timer(12'910).entered, VrrpState::master);
}

TEST(VrrpState, SplitBrainTheLowerPriorityThenTheLowerAddressStepsDown) {
  VrrpInstance low(settings(100));
  low.start(0);
  low.on_timer(3600);
  ASSERT_EQ(low.state(), VrrpState::master);
  const VrrpActions win = low.on_advert(4000, advert(50), kPeer);
  EXPECT_FALSE(win.entered);  // we win: stay, say so at once, and take the hosts back
  EXPECT_TRUE(win.send_advert);
  EXPECT_EQ(win.advert_priority, 100);
  EXPECT_TRUE(win.announce_again);
  EXPECT_FALSE(low.on_advert(4050, advert(50), kPeer).send_advert);  // once an interval
  EXPECT_EQ(low.on_advert(4100, advert(120), kPeer).entered, VrrpState::backup);

  VrrpInstance same(settings(100, true, 0, "198.18.0.2"));
  same.start(0);
  same.on_timer(3600);
  EXPECT_FALSE(same.on_advert(4000, advert(100), ip("198.18.0.1")).entered);  // ours is higher
  EXPECT_EQ(same.on_advert(4100, advert(100), ip("198.18.0.9")).entered, VrrpState::backup);
}

// Over IPv6 the address is the link-local one adverts leave from (control/vrrp_socket.h).
TEST(VrrpState, SplitBrainOverIpv6ComparesLinkLocalAddresses) {
  VrrpInstance v(settings(100, true, 0, "fe80::c6ff:fe12:1"));
  v.start(0);
  v.on_timer(3600);
  ASSERT_EQ(v.state(), VrrpState::master);
  EXPECT_FALSE(v.on_advert(4000, advert(100), ip("fe80::c6ff:fe12:0")).entered);
  EXPECT_EQ(v.on_advert(4100, advert(100), ip("fe80::1:0:0:1")).entered, VrrpState::backup);
}

TEST(VrrpState, AMasterAnswersALeavingMasterAtOnce) {
  VrrpInstance v(settings(100));
  v.start(0);
  v.on_timer(3600);
  const VrrpActions a = v.on_advert(3700, advert(0), kPeer);
  EXPECT_TRUE(a.send_advert);
  EXPECT_EQ(a.advert_priority, 100);
  EXPECT_EQ(v.state(), VrrpState::master);
}

TEST(VrrpState, TheOwnerClaimsAtOnceAndACleanStopSaysPriorityZero) {
  VrrpInstance owner(settings(255));
  const VrrpActions a = owner.start(0);
  EXPECT_EQ(a.entered, VrrpState::master);
  EXPECT_TRUE(a.send_advert);
  const VrrpActions stop = owner.stop();
  EXPECT_TRUE(stop.send_advert);
  EXPECT_EQ(stop.advert_priority, 0);
  EXPECT_EQ(stop.entered, VrrpState::initialize);
  VrrpInstance backup(settings(100));
  backup.start(0);
  EXPECT_FALSE(backup.stop().send_advert);  // only a master has something to hand over
}

TEST(VrrpState, TrackingToZeroIsFaultAndBack) {
  VrrpInstance v(settings(100));
  v.start(0);
  v.on_timer(3600);
  const VrrpActions fault = v.set_priority(4000, 0);
  EXPECT_EQ(fault.entered, VrrpState::fault);
  EXPECT_TRUE(fault.send_advert);  // priority 0: the backup takes over after its skew
  EXPECT_EQ(fault.advert_priority, 0);
  EXPECT_FALSE(v.on_timer(100'000).entered);  // a fault claims nothing
  EXPECT_EQ(v.set_priority(101'000, 90).entered, VrrpState::backup);
}

TEST(VrrpState, AMasterAdvertisesALoweredPriorityAtOnce) {
  VrrpInstance v(settings(200));
  v.start(0);
  v.on_timer(3600);
  const VrrpActions a = v.set_priority(3700, 90);
  EXPECT_TRUE(a.send_advert);
  EXPECT_EQ(a.advert_priority, 90);
  EXPECT_EQ(v.state(), VrrpState::master);  // until a peer of higher priority preempts
}

TEST(VrrpState, MaintenanceHandsOverAndStaysBackup) {
  VrrpInstance v(settings(200));
  v.start(0);
  v.on_timer(3600);
  const VrrpActions a = v.set_maintenance(4000, true);
  EXPECT_EQ(a.entered, VrrpState::backup);
  EXPECT_TRUE(a.send_advert);
  EXPECT_EQ(a.advert_priority, 0);
  for (uint64_t t = 4000; t < 60'000; t += 3000) EXPECT_FALSE(v.on_timer(t).entered);
  v.set_maintenance(60'000, false);
  EXPECT_EQ(v.on_timer(v.deadline_ms()).entered, VrrpState::master);
}

TEST(VrrpState, FailoverHandsOverAndStaysEligible) {
  VrrpInstance v(settings(100));
  v.start(0);
  EXPECT_FALSE(v.hand_over(100).send_advert);  // a backup has nothing to hand over
  v.on_timer(3600);
  const VrrpActions a = v.hand_over(4000);
  EXPECT_EQ(a.entered, VrrpState::backup);
  EXPECT_TRUE(a.send_advert);
  EXPECT_EQ(a.advert_priority, 0);
  EXPECT_EQ(a.why, "failover");
  // Nobody took over: after the master-down interval it claims again.
  EXPECT_EQ(v.on_timer(v.deadline_ms()).entered, VrrpState::master);
}

}  // namespace
}  // namespace sluice::control::ha
