// File: sched/twos.h
//
// twos — Power of Two Choices (kernel: net/netfilter/ipvs/ip_vs_twos.c, Linux >= 6.2;
// Mitzenmacher, "The Power of Two Random Choices", 2001). Draws two destinations at random,
// each with probability proportional to its weight, and keeps the one with the smaller
// overhead / weight (overhead = (activeconns << 8) + inactconns); on a tie the first draw
// stays. Both draws are r = rand() % (total weight + 1) walked down the list of usable
// destinations (not overloaded, weight > 0) until r <= 0, so r = 0 also lands on the first.
// The kernel's prandom_u32() becomes a per-scheduler xorshift64* generator whose seed the
// constructor takes, so that tests are deterministic.
// Pick: O(n). OnDestsChanged: O(n).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

class TwosScheduler final : public core::Scheduler {
 public:
  explicit TwosScheduler(uint64_t seed);

  std::string_view name() const override { return "twos"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  uint32_t NextRandom();

  std::vector<core::Dest*> dests_;
  uint64_t state_;  // xorshift64* state, never 0
};

}  // namespace ipvsd::sched
