// File: health/checker_state.cc
#include "health/checker_state.h"

namespace ipvsd::health {

CheckerState::Step CheckerState::OnResult(bool success, uint64_t now_ns) {
  const uint64_t round = now_ns + SecondsToNs(cfg_.delay_loop);
  if (success) {
    retry_it_ = 0;
    failures_ = 0;
    if (up_) return {CheckTransition::kNone, round};
    up_ = true;
    return {CheckTransition::kWentUp, round};
  }
  ++failures_;
  if (!up_) {
    // Already down: keep probing at the normal pace until it answers again.
    retry_it_ = 0;
    return {CheckTransition::kNone, round};
  }
  if (retry_it_ < cfg_.retry) {
    ++retry_it_;
    return {CheckTransition::kNone, now_ns + SecondsToNs(cfg_.delay_before_retry)};
  }
  retry_it_ = 0;
  up_ = false;
  return {CheckTransition::kWentDown, round};
}

}  // namespace ipvsd::health
