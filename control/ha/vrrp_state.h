// One VRRP instance's state machine (RFC 5798 section 6.4, with RFC 9568's corrections and
// keepalived's nopreempt / preempt_delay), as pure code over explicit time: the caller feeds
// it adverts, timer expiries and operator or tracking changes, and carries out what it
// returns (send an advert, announce the addresses, stop answering for them).
//
//   Master_Adver_Interval  the master's advertised interval (ours while master)
//   Skew_Time              ((256 - Priority) * Master_Adver_Interval) / 256
//   Master_Down_Interval   3 * Master_Adver_Interval + Skew_Time
//
// A backup whose Master_Down_Interval passes without an advert takes over; the higher
// priority, then the higher primary address, wins when two claim master (split brain: the
// other steps down). Priority 0 in an advert says the master is leaving: backups take over
// after Skew_Time instead of Master_Down_Interval.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/ip_address.h"
#include "control/ha/vrrp_packet.h"

namespace sluice::control::ha {

enum class VrrpState : uint8_t { initialize, backup, master, fault };
const char* to_string(VrrpState s);

struct VrrpSettings {
  uint8_t vrid = 1;
  uint8_t priority = 100;         // 1..255 configured; tracking lowers it (to 0: fault)
  uint16_t interval_cs = 100;     // our Advertisement_Interval
  bool preempt = true;            // a higher priority backup takes over from a lower master
  uint32_t preempt_delay_ms = 0;  // ...only this long after its own start (keepalived)
  IpAddress address;              // our primary address on the segment: the tie-breaker
};

// What the caller does after an input. Several may be set at once.
struct VrrpActions {
  bool send_advert = false;  // with advert_priority (0 on leaving)
  uint8_t advert_priority = 0;
  std::optional<VrrpState> entered;  // the state changed to this one
  std::string why;                   // the reason of the change, for show ha and the log
  // Another router claimed master and we won (split brain): hosts may have followed its
  // announcements, so announce the addresses again (keepalived's garp_lower_prio_repeat).
  bool announce_again = false;
};

class VrrpInstance {
 public:
  explicit VrrpInstance(VrrpSettings settings) : s_(settings) {}

  VrrpActions start(uint64_t now_ms);
  // A well-formed advert of this VRID from `source` (the caller checked the packet).
  VrrpActions on_advert(uint64_t now_ms, const Advert& advert, const IpAddress& source);
  // Call when now_ms reaches deadline_ms() (earlier calls do nothing).
  VrrpActions on_timer(uint64_t now_ms);
  // A clean stop: a master sends priority 0 so that the backup takes over at once.
  VrrpActions stop();
  // Tracking and the operator: the priority now in force (0: fault, nothing may be claimed),
  // and maintenance (stay backup, hand over if master).
  VrrpActions set_priority(uint64_t now_ms, uint8_t priority);
  VrrpActions set_maintenance(uint64_t now_ms, bool on);
  // The operator's failover: a master steps down with priority 0, so that the peer takes
  // over after its Skew_Time; it stays eligible (with preempt and a higher priority it takes
  // the addresses back after a master-down interval, as keepalived does).
  VrrpActions hand_over(uint64_t now_ms);

  VrrpState state() const { return state_; }
  uint8_t priority() const { return s_.priority; }
  // When on_timer is next due: the advert timer as master, Master_Down as backup.
  uint64_t deadline_ms() const { return deadline_ms_; }
  uint16_t master_interval_cs() const { return master_interval_cs_; }
  const VrrpSettings& settings() const { return s_; }

 private:
  uint64_t skew_ms() const;
  uint64_t master_down_ms() const;
  VrrpActions become_master(uint64_t now_ms, std::string why);
  VrrpActions become_backup(uint64_t now_ms, uint16_t master_interval_cs, std::string why);
  VrrpActions step_down(uint64_t now_ms, std::string why);
  bool may_claim() const { return s_.priority > 0 && !maintenance_; }

  VrrpSettings s_;
  VrrpState state_ = VrrpState::initialize;
  uint16_t master_interval_cs_ = 100;
  uint64_t deadline_ms_ = UINT64_MAX;
  uint64_t started_ms_ = 0;
  uint64_t answered_ms_ = 0;  // when a lower master's advert was last answered
  bool maintenance_ = false;
};

}  // namespace sluice::control::ha
