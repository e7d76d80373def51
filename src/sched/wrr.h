// File: sched/wrr.h
//
// wrr — Weighted Round Robin (kernel: net/netfilter/ipvs/ip_vs_wrr.c). Interleaved passes
// over the destination list: pass k takes every destination whose weight is at least the
// current weight cw, and cw steps down from the maximum weight by the gcd of all weights, so
// weights 4,3,2 give A A B A B C A B C. The kernel's details are kept because they decide the
// exact sequence:
// - mw is max weight - (gcd - 1), so that the last pass runs at cw = 1 and still catches a
//   destination whose weight fell below the gcd;
// - every add, edit or delete restarts from the list head and keeps cw when it still fits
//   (cw > mw or cw == 0 resets it to mw; with gcd > 1 it is realigned to (cw/gcd)*gcd + 1);
// - when every destination is overloaded, one full round at cw = 1 ends in a failure.
// Pick: O(n * mw/gcd) worst case, O(1) amortised. OnDestsChanged: O(n).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"

namespace ipvsd::sched {

class WrrScheduler final : public core::Scheduler {
 public:
  std::string_view name() const override { return "wrr"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  std::vector<core::Dest*> dests_;
  int cl_ = -1;  // index of the current destination; -1 is the list head
  int cw_ = 0;   // current weight
  int mw_ = 0;   // maximum weight - (di - 1); 0 when no destination has a weight
  int di_ = 1;   // decreasing interval: gcd of the positive weights
};

}  // namespace ipvsd::sched
