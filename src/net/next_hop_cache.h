// File: net/next_hop_cache.h
//
// NextHopCache keeps one worker's recent next hops in front of the shared Router. Every
// forwarded packet needs its next hop, and a Router lookup is a virtual call and, in the
// netlink router, a hash probe per prefix length plus the link's and the neighbour's; a hit
// here is one direct-mapped probe. Entries belong to one Router generation: Refresh(), once
// per burst, retires them all when routes, links or neighbours changed. Only answers are kept,
// never failures, so that an unresolved neighbour is asked for (and resolution requested)
// again. One thread only, no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "base/hash.h"
#include "net/route.h"

namespace ipvsd::net {

class NextHopCache {
 public:
  explicit NextHopCache(Router* router) : router_(router) {}

  void Refresh() { generation_ = router_->generation(); }

  bool Lookup(Family family, const RawAddr& dst, NextHop* out) {
    Entry& e = entries_[Slot(family, dst)];
    if (e.valid && e.generation == generation_ && e.family == family && e.dst == dst) {
      *out = e.hop;
      return true;
    }
    if (!router_->Lookup(family, dst, out)) return false;
    e = Entry{true, family, generation_, dst, *out};
    return true;
  }

 private:
  static constexpr size_t kEntries = 256;  // a power of two
  struct Entry {
    bool valid = false;
    Family family = Family::kUnspec;
    uint64_t generation = 0;
    RawAddr dst;
    NextHop hop;
  };

  static size_t Slot(Family family, const RawAddr& dst) {
    uint64_t lo, hi;
    std::memcpy(&lo, dst.bytes.data(), 8);
    std::memcpy(&hi, dst.bytes.data() + 8, 8);
    return static_cast<size_t>(Mix64(lo ^ hi * 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(family))) &
           (kEntries - 1);
  }

  Router* router_;
  uint64_t generation_ = 0;
  std::array<Entry, kEntries> entries_{};
};

}  // namespace ipvsd::net
