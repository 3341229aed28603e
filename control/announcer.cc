#include "control/announcer.h"

namespace sluice::control {

Announcer::Announcer(EventLoop& loop, const config::Garp& garp, std::function<void()> announce)
    : garp_(garp), announce_(std::move(announce)), timer_(loop.timer([this] { fire(); })) {}

void Announcer::start() {
  left_ = garp_.repeat;
  second_round_ = garp_.delay_ms != 0;
  fire();
}

void Announcer::stop() {
  timer_.stop();
  left_ = 0;
  second_round_ = false;
}

void Announcer::fire() {
  // With no interval a round goes out at once: the announcements leave back to back.
  do {
    announce_();
    --left_;
  } while (left_ != 0 && garp_.interval_ms == 0);
  if (left_ != 0) return timer_.start(garp_.interval_ms, 0);
  const uint64_t next = second_round_ ? garp_.delay_ms : garp_.refresh_ms;
  if (next == 0) return;
  second_round_ = false;
  left_ = garp_.repeat;
  timer_.start(next, 0);
}

}  // namespace sluice::control
