// File: sched/sh.cc
//
// ShScheduler (sh.h); kernel: ip_vs_sh_reassign(), ip_vs_sh_get(), ip_vs_sh_get_fallback().
#include "sched/sh.h"

#include "sched/flow_port.h"

namespace ipvsd::sched {
namespace {

uint32_t BucketOf(uint32_t addr_fold, uint16_t port, uint32_t offset) {
  return (offset + Hash32(port + addr_fold, kHashTableBits)) & (kHashTableSize - 1);
}

bool Unavailable(const core::Dest* d) { return d->weight() <= 0 || d->overloaded(); }

}  // namespace

void ShScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  size_t p = 0;
  int d_count = 0;
  for (uint32_t i = 0; i < kHashTableSize; ++i) {
    if (dests.empty()) {
      buckets_[i] = nullptr;
      continue;
    }
    core::Dest* d = dests[p];
    buckets_[i] = d;
    // Stay on this destination until it has `weight` buckets (a weight-0 one gets one).
    if (++d_count >= d->weight()) {
      p = (p + 1) % dests.size();
      d_count = 0;
    }
  }
}

core::Dest* ShScheduler::Pick(const core::FlowKey& flow, Ticks) {
  const uint32_t fold = flow.saddr.Fold(flow.family);
  const uint16_t port = (svc_flags_ & core::kSvcSched2) ? HashedSourcePort(flow) : 0;
  const uint32_t ihash = BucketOf(fold, port, 0);
  core::Dest* d = buckets_[ihash];
  if (d == nullptr) return nullptr;
  if (!Unavailable(d)) return d;
  if (!(svc_flags_ & core::kSvcSched1)) return nullptr;
  for (uint32_t offset = 0; offset < kHashTableSize; ++offset) {
    const uint32_t roffset = (offset + ihash) % kHashTableSize;
    d = buckets_[BucketOf(fold, port, roffset)];
    if (d == nullptr) break;
    if (!Unavailable(d)) return d;
  }
  return nullptr;
}

}  // namespace ipvsd::sched
