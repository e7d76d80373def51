#include "core/dest.h"

namespace ipvsd::core {

Dest::Dest(const DestConfig& c)
    : addr_(c.addr),
      port_(c.port),
      weight_(c.weight),
      last_weight_(c.weight),
      u_threshold_(c.u_threshold),
      l_threshold_(c.l_threshold),
      fwd_(static_cast<uint8_t>(c.fwd)),
      tun_type_(static_cast<uint8_t>(c.tun_type)),
      tun_port_(c.tun_port),
      tun_csum_(static_cast<uint8_t>(c.tun_csum)) {}

DestConfig Dest::config() const {
  DestConfig c;
  c.addr = addr_;
  c.port = port_;
  c.fwd = fwd();
  c.weight = weight();
  c.u_threshold = u_threshold();
  c.l_threshold = l_threshold();
  c.tun_type = tun_type();
  c.tun_port = tun_port();
  c.tun_csum = tun_csum();
  return c;
}

void Dest::Update(const DestConfig& c) {
  // __ip_vs_update_dest: a raised or removed upper threshold lifts the overload at once.
  if (c.u_threshold == 0 || c.u_threshold > u_threshold()) flags_.fetch_and(~kDestOverload);
  weight_.store(c.weight, std::memory_order_relaxed);
  if (c.weight > 0) last_weight_.store(c.weight, std::memory_order_relaxed);
  u_threshold_.store(c.u_threshold, std::memory_order_relaxed);
  l_threshold_.store(c.l_threshold, std::memory_order_relaxed);
  fwd_.store(static_cast<uint8_t>(c.fwd), std::memory_order_relaxed);
  tun_type_.store(static_cast<uint8_t>(c.tun_type), std::memory_order_relaxed);
  tun_port_.store(c.tun_port, std::memory_order_relaxed);
  tun_csum_.store(static_cast<uint8_t>(c.tun_csum), std::memory_order_relaxed);
}

void Dest::set_service_stats(std::shared_ptr<Stats> s) {
  if (s.get() == service_stats()) return;
  service_stats_.store(s.get(), std::memory_order_release);
  owned_service_stats_.push_back(std::move(s));
}

void Dest::SetAvailable(bool on) {
  if (on) {
    flags_.fetch_or(kDestAvailable);
  } else {
    flags_.fetch_and(~kDestAvailable);
  }
}

void Dest::BindConn(bool inactive) {
  (inactive ? inactconns_ : activeconns_).fetch_add(1, std::memory_order_relaxed);
  uint32_t u = u_threshold();
  if (u != 0 && static_cast<uint32_t>(activeconns() + inactconns()) >= u) flags_.fetch_or(kDestOverload);
}

void Dest::UnbindConn(bool inactive) {
  (inactive ? inactconns_ : activeconns_).fetch_sub(1, std::memory_order_relaxed);
  UpdateOverloadOnUnbind();
}

void Dest::UpdateOverloadOnUnbind() {
  // ip_vs_unbind_dest: below the lower threshold, or below 3/4 of the upper one when no
  // lower threshold is set, the destination takes new connections again.
  uint32_t total = static_cast<uint32_t>(activeconns() + inactconns());
  uint32_t l = l_threshold();
  uint32_t u = u_threshold();
  bool clear;
  if (l != 0) {
    clear = total < l;
  } else if (u != 0) {
    clear = uint64_t{total} * 4 < uint64_t{u} * 3;
  } else {
    clear = true;
  }
  if (clear) flags_.fetch_and(~kDestOverload);
}

void Dest::ConnBecameActive() {
  inactconns_.fetch_sub(1, std::memory_order_relaxed);
  activeconns_.fetch_add(1, std::memory_order_relaxed);
}

void Dest::ConnBecameInactive() {
  activeconns_.fetch_sub(1, std::memory_order_relaxed);
  inactconns_.fetch_add(1, std::memory_order_relaxed);
}

void Dest::SetCountsForTest(int active, int inactive) {
  activeconns_.store(active, std::memory_order_relaxed);
  inactconns_.store(inactive, std::memory_order_relaxed);
}

}  // namespace ipvsd::core
