// File: sched/mh.cc
//
// MhScheduler (mh.h); kernel: ip_vs_mh_permutate(), ip_vs_mh_populate(), ip_vs_mh_get(),
// ip_vs_mh_get_fallback(), ip_vs_mh_reassign().
#include "sched/mh.h"

#include <algorithm>
#include <array>
#include <bit>
#include <numeric>

#include "sched/flow_port.h"

namespace ipvsd::sched {
namespace {

// generate_hash_secret(): fixed, so every director builds the same table.
constexpr HsiphashKey kHash1{{2654435761u, 2654435761u}};
constexpr HsiphashKey kHash2{{2654446892u, 2654446892u}};
// IP_VS_MH_TAB_BITS = CONFIG_IP_VS_MH_TAB_INDEX / 2: the most significant bits of
// weight / gcd that count, so one destination takes at most 2^6 - 1 slots per round.
constexpr int kWeightBits = 6;

bool Unavailable(const core::Dest* d) { return d->weight() <= 0 || d->overloaded(); }

struct DestSetup {
  uint32_t perm;  // next preferred slot
  uint32_t skip;
  int turns;  // slots taken per round
};

}  // namespace

uint32_t MhHashKey(uint32_t addr_fold, uint16_t port, const HsiphashKey& key, uint32_t offset) {
  const uint32_t v = offset + port + addr_fold;
  // The kernel hashes the u32 in memory, i.e. its little-endian bytes on x86-64.
  const std::array<uint8_t, 4> bytes{static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                                     static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
  return Hsiphash(bytes, key);
}

MhScheduler::MhScheduler(uint32_t svc_flags) : svc_flags_(svc_flags), table_(kTableSize, nullptr) {}

void MhScheduler::OnDestsChanged(std::span<core::Dest* const> dests) {
  if (dests.size() > kTableSize) {
    // The kernel refuses to rebuild (EINVAL) and keeps the old table, whose entries it holds
    // references to; ours must not outlive the list, so departed servers leave their slots.
    std::vector<core::Dest*> listed(dests.begin(), dests.end());
    std::sort(listed.begin(), listed.end());
    for (core::Dest*& slot : table_) {
      if (slot != nullptr && !std::binary_search(listed.begin(), listed.end(), slot)) slot = nullptr;
    }
    return;
  }
  Populate(dests);
}

void MhScheduler::Populate(std::span<core::Dest* const> dests) {
  int gcd = 0;
  int max_weight = 0;
  for (const core::Dest* d : dests) {
    const int w = d->last_weight();
    if (w > 0) gcd = gcd > 0 ? std::gcd(w, gcd) : w;
    max_weight = std::max(max_weight, w);
  }
  // No destination, or none ever had a weight: an empty table.
  if (gcd < 1) {
    std::fill(table_.begin(), table_.end(), nullptr);
    return;
  }
  // fls(max_weight / gcd) - 6, at least 0.
  const int mw_bits = static_cast<int>(std::bit_width(static_cast<unsigned>(max_weight / gcd)));
  const int rshift = std::max(0, mw_bits - kWeightBits);

  std::vector<DestSetup> setup(dests.size());
  for (size_t i = 0; i < dests.size(); ++i) {
    const core::Dest* d = dests[i];
    const uint32_t fold = d->addr().raw.Fold(d->family());
    const int lw = d->last_weight();
    const int turns = (lw / gcd) >> rshift;
    setup[i].perm = MhHashKey(fold, d->port(), kHash1, 0) % kTableSize;
    setup[i].skip = MhHashKey(fold, d->port(), kHash2, 0) % (kTableSize - 1) + 1;
    // A weight too small to survive the shift still gets one turn; only 0 gets none.
    setup[i].turns = turns != 0 ? turns : (lw != 0 ? 1 : 0);
  }

  std::vector<bool> taken(kTableSize, false);
  uint32_t n = 0;
  int dt_count = 0;
  while (true) {
    for (size_t i = 0; i < dests.size();) {
      DestSetup& ds = setup[i];
      if (ds.turns < 1) {
        ++i;
        continue;
      }
      uint32_t c = ds.perm;
      while (taken[c]) {
        ds.perm += ds.skip;
        if (ds.perm >= kTableSize) ds.perm -= kTableSize;
        c = ds.perm;
      }
      taken[c] = true;
      table_[c] = dests[i];
      if (++n == kTableSize) return;
      if (++dt_count >= ds.turns) {
        dt_count = 0;
        ++i;
      }
    }
  }
}

core::Dest* MhScheduler::Pick(const core::FlowKey& flow, Ticks) {
  const uint32_t fold = flow.saddr.Fold(flow.family);
  const uint16_t port = (svc_flags_ & core::kSvcSched2) ? HashedSourcePort(flow) : 0;
  const uint32_t ihash = MhHashKey(fold, port, kHash1, 0) % kTableSize;
  core::Dest* d = table_[ihash];
  if (d == nullptr) return nullptr;
  if (!Unavailable(d)) return d;
  if (!(svc_flags_ & core::kSvcSched1)) return nullptr;
  for (uint32_t offset = 0; offset < kTableSize; ++offset) {
    const uint32_t roffset = (offset + ihash) % kTableSize;
    d = table_[MhHashKey(fold, port, kHash1, roffset) % kTableSize];
    if (d == nullptr) break;
    if (!Unavailable(d)) return d;
  }
  return nullptr;
}

}  // namespace ipvsd::sched
