#include "control/ha/vrrp_state.h"

#include <algorithm>

namespace sluice::control::ha {
namespace {

constexpr uint64_t kNever = UINT64_MAX;

uint64_t cs_to_ms(uint64_t cs) { return cs * 10; }

}  // namespace

const char* to_string(VrrpState s) {
  switch (s) {
    case VrrpState::initialize: return "initialize";
    case VrrpState::backup: return "backup";
    case VrrpState::master: return "master";
    case VrrpState::fault: return "fault";
  }
  return "?";
}

uint64_t VrrpInstance::skew_ms() const {
  return cs_to_ms((256 - uint64_t{s_.priority}) * master_interval_cs_ / 256);
}

uint64_t VrrpInstance::master_down_ms() const {
  return 3 * cs_to_ms(master_interval_cs_) + skew_ms();
}

VrrpActions VrrpInstance::become_master(uint64_t now_ms, std::string why) {
  VrrpActions a{.send_advert = true, .advert_priority = s_.priority, .entered = std::nullopt,
                .why = std::move(why)};
  if (state_ != VrrpState::master) a.entered = VrrpState::master;
  state_ = VrrpState::master;
  master_interval_cs_ = s_.interval_cs;
  deadline_ms_ = now_ms + cs_to_ms(s_.interval_cs);
  return a;
}

VrrpActions VrrpInstance::become_backup(uint64_t now_ms, uint16_t master_interval_cs,
                                        std::string why) {
  VrrpActions a{.send_advert = false, .advert_priority = 0, .entered = std::nullopt,
                .why = std::move(why)};
  if (state_ != VrrpState::backup) a.entered = VrrpState::backup;
  state_ = VrrpState::backup;
  master_interval_cs_ = master_interval_cs;
  deadline_ms_ = now_ms + master_down_ms();
  return a;
}

VrrpActions VrrpInstance::start(uint64_t now_ms) {
  started_ms_ = now_ms;
  master_interval_cs_ = s_.interval_cs;
  if (s_.priority == 0) {
    state_ = VrrpState::fault;
    deadline_ms_ = kNever;
    return {.send_advert = false, .advert_priority = 0, .entered = VrrpState::fault,
            .why = "priority 0 at start (tracking)"};
  }
  // The address owner (priority 255) claims at once (RFC 5798 6.4.1).
  if (s_.priority == 255 && !maintenance_) return become_master(now_ms, "owner of the addresses");
  return become_backup(now_ms, s_.interval_cs, "started");
}

VrrpActions VrrpInstance::on_advert(uint64_t now_ms, const Advert& advert,
                                    const IpAddress& source) {
  if (state_ == VrrpState::backup) {
    if (advert.priority == 0) {  // the master is leaving: take over after Skew_Time only
      deadline_ms_ = now_ms + skew_ms();
      return {};
    }
    const bool delaying = now_ms < started_ms_ + s_.preempt_delay_ms;
    if (!s_.preempt || delaying || advert.priority >= s_.priority) {
      master_interval_cs_ = advert.interval_cs;
      deadline_ms_ = now_ms + master_down_ms();
    }
    return {};  // a lower priority master while we preempt: its time runs out
  }
  if (state_ == VrrpState::master) {
    if (advert.priority == 0) {  // a leaving master: say at once who is master now
      deadline_ms_ = now_ms + cs_to_ms(s_.interval_cs);
      return {.send_advert = true, .advert_priority = s_.priority, .entered = std::nullopt,
              .why = ""};
    }
    // Split brain: the higher priority, then the higher address, stays master.
    const bool they_win = advert.priority > s_.priority ||
                          (advert.priority == s_.priority && s_.address.bytes < source.bytes);
    if (they_win) {
      return become_backup(now_ms, advert.interval_cs,
                           "advert of priority " + std::to_string(advert.priority) +
                               (advert.priority == s_.priority ? " from a higher address" : ""));
    }
    // We win: tell it now (it steps down on our advert) and take the hosts back; at most
    // once an interval, so that forged adverts (VRRP is unauthenticated) are not reflected.
    if (now_ms < answered_ms_ + cs_to_ms(s_.interval_cs)) return {};
    answered_ms_ = now_ms;
    deadline_ms_ = now_ms + cs_to_ms(s_.interval_cs);
    return {.send_advert = true, .advert_priority = s_.priority, .entered = std::nullopt,
            .why = "", .announce_again = true};
  }
  return {};  // initialize, fault: nothing to claim or follow
}

VrrpActions VrrpInstance::on_timer(uint64_t now_ms) {
  if (now_ms < deadline_ms_) return {};
  if (state_ == VrrpState::master) {
    deadline_ms_ = now_ms + cs_to_ms(s_.interval_cs);
    return {.send_advert = true, .advert_priority = s_.priority, .entered = std::nullopt,
            .why = ""};
  }
  if (state_ == VrrpState::backup) {
    if (!may_claim()) {  // maintenance: stay backup, keep watching
      deadline_ms_ = now_ms + master_down_ms();
      return {};
    }
    return become_master(now_ms, "no advert for the master-down interval");
  }
  deadline_ms_ = kNever;
  return {};
}

VrrpActions VrrpInstance::stop() {
  const bool was_master = state_ == VrrpState::master;
  state_ = VrrpState::initialize;
  deadline_ms_ = kNever;
  return {.send_advert = was_master, .advert_priority = 0, .entered = VrrpState::initialize,
          .why = "stopped"};
}

VrrpActions VrrpInstance::set_priority(uint64_t now_ms, uint8_t priority) {
  const uint8_t before = s_.priority;
  s_.priority = priority;
  if (priority == before || state_ == VrrpState::initialize) return {};
  if (priority == 0) {
    const bool was_master = state_ == VrrpState::master;
    state_ = VrrpState::fault;
    deadline_ms_ = kNever;
    return {.send_advert = was_master, .advert_priority = 0, .entered = VrrpState::fault,
            .why = "priority fell to 0 (tracking)"};
  }
  if (state_ == VrrpState::fault) return become_backup(now_ms, s_.interval_cs, "tracking recovered");
  if (state_ == VrrpState::master) {  // tell the peers now: a higher one may preempt
    deadline_ms_ = now_ms + cs_to_ms(s_.interval_cs);
    return {.send_advert = true, .advert_priority = priority, .entered = std::nullopt,
            .why = "priority " + std::to_string(before) + " -> " + std::to_string(priority)};
  }
  return {};
}

VrrpActions VrrpInstance::set_maintenance(uint64_t now_ms, bool on) {
  maintenance_ = on;
  return on ? step_down(now_ms, "maintenance") : VrrpActions{};
}

VrrpActions VrrpInstance::hand_over(uint64_t now_ms) { return step_down(now_ms, "failover"); }

VrrpActions VrrpInstance::step_down(uint64_t now_ms, std::string why) {
  if (state_ != VrrpState::master) return {};
  VrrpActions a = become_backup(now_ms, s_.interval_cs, std::move(why));
  a.send_advert = true;  // priority 0: the peer takes over after its Skew_Time
  a.advert_priority = 0;
  return a;
}

}  // namespace sluice::control::ha
