// File: sched/wrr.cc
//
// WrrScheduler (wrr.h); kernel: ip_vs_wrr_dest_changed() and ip_vs_wrr_schedule().
#include "sched/wrr.h"

#include <algorithm>
#include <numeric>

namespace ipvsd::sched {

void WrrScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  dests_.assign(dests.begin(), dests.end());
  int g = 0;
  int max_weight = 0;
  for (const core::Dest* d : dests_) {
    const int w = d->weight();
    if (w > 0) g = g > 0 ? std::gcd(w, g) : w;
    max_weight = std::max(max_weight, w);
  }
  cl_ = -1;
  di_ = g > 0 ? g : 1;
  mw_ = max_weight - (di_ - 1);
  // A fresh scheduler has cw == 0 and so starts at mw, as ip_vs_wrr_init_svc does.
  if (cw_ > mw_ || cw_ == 0) {
    cw_ = mw_;
  } else if (di_ > 1) {
    cw_ = (cw_ / di_) * di_ + 1;
  }
}

core::Dest* WrrScheduler::Pick(const core::FlowKey&, Ticks) {
  if (mw_ == 0) return nullptr;
  const int n = static_cast<int>(dests_.size());
  const int last = cl_;
  int stop = -2;  // no stop mark until the last pass has wrapped around
  bool last_pass = false;
  bool restarted = false;
  int pos = cl_;
  while (true) {
    for (int i = pos + 1; i < n; ++i) {
      core::Dest* d = dests_[static_cast<size_t>(i)];
      if (!d->overloaded() && d->weight() >= cw_) {
        cl_ = i;
        return d;
      }
      if (i == stop) {
        cl_ = i;
        return nullptr;
      }
    }
    pos = -1;
    cw_ -= di_;
    if (cw_ <= 0) {
      cw_ = mw_;
      // Either the previous round already ran at cw = 1 from the start, or this one did:
      // every destination has been refused at the lowest weight.
      if (last_pass || last == -1) {
        cl_ = -1;
        return nullptr;
      }
      restarted = true;
    }
    last_pass = cw_ <= di_;
    // The round at the lowest weight began after `last`; finish it up to `last` and stop.
    if (last_pass && restarted && last != -1) stop = last;
  }
}

}  // namespace ipvsd::sched
