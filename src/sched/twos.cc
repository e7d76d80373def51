// File: sched/twos.cc
//
// TwosScheduler (twos.h); kernel: ip_vs_twos_schedule().
#include "sched/twos.h"

#include "base/hash.h"

namespace ipvsd::sched {

TwosScheduler::TwosScheduler(uint64_t seed) : state_(Mix64(seed) | 1) {}

uint32_t TwosScheduler::NextRandom() {
  // xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators",
  // 2016): the high half of the multiplied state is the well-mixed part.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return static_cast<uint32_t>((state_ * 0x2545f4914f6cdd1dull) >> 32);
}

void TwosScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
}

core::Dest* TwosScheduler::Pick(const core::FlowKey&, Ticks) {
  core::Dest* choice1 = nullptr;
  int64_t total_weight = 0;
  for (core::Dest* d : dests_) {
    if (!d->overloaded() && d->weight() > 0) {
      total_weight += d->weight();
      choice1 = d;  // never null below, even if a weight changes between the loops
    }
  }
  if (choice1 == nullptr) return nullptr;

  // + 1 makes the draws inclusive of the total, as the kernel does.
  total_weight += 1;
  int64_t rweight1 = static_cast<int64_t>(NextRandom() % static_cast<uint64_t>(total_weight));
  int64_t rweight2 = static_cast<int64_t>(NextRandom() % static_cast<uint64_t>(total_weight));

  core::Dest* choice2 = nullptr;
  int64_t weight1 = -1;
  int64_t weight2 = -1;
  int64_t overhead1 = 0;
  int64_t overhead2 = 0;
  for (core::Dest* d : dests_) {
    if (d->overloaded()) continue;
    const int w = d->weight();
    if (w <= 0) continue;
    rweight1 -= w;
    rweight2 -= w;
    if (rweight1 <= 0 && weight1 == -1) {
      choice1 = d;
      weight1 = w;
      overhead1 = d->overhead();
    }
    if (rweight2 <= 0 && weight2 == -1) {
      choice2 = d;
      weight2 = w;
      overhead2 = d->overhead();
    }
    if (weight1 != -1 && weight2 != -1) break;
  }
  if (choice2 != nullptr && weight2 * overhead1 > weight1 * overhead2) choice1 = choice2;
  return choice1;
}

}  // namespace ipvsd::sched
