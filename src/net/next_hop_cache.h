// File: net/next_hop_cache.h
//
// NextHopCache keeps one worker's recent next hops in front of the shared Router. Every
// forwarded packet needs its next hop, and a Router lookup is a virtual call and, in the
// netlink router, a hash probe per prefix length plus the link's and the neighbour's; a hit
// here is one direct-mapped probe. Entries belong to one Router generation: Refresh(), once
// per burst, retires them all when routes, links or neighbours changed. Only answers are kept,
// never failures, so that an unresolved neighbour is asked for (and resolution requested)
// again. One thread only, no allocation.
//
// The slot is a keyed hash (SipHash-1-3, base/siphash.h) of the address: NAT replies go to
// client addresses, and with a slot function they could predict, clients would pick addresses
// that share one slot and turn every reply's lookup into a miss.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "base/siphash.h"
#include "net/route.h"

namespace ipvsd::net {

class NextHopCache {
 public:
  // `key` keys the slot hash; tests may fix it.
  explicit NextHopCache(Router* router, const HashKey& key = RandomHashKey()) : router_(router), key_(key) {}

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

  size_t Slot(Family family, const RawAddr& dst) const {
    uint64_t lo, hi;
    std::memcpy(&lo, dst.bytes.data(), 8);
    if (family != Family::kInet6) return static_cast<size_t>(SipHash13Words(key_, lo)) & (kEntries - 1);
    std::memcpy(&hi, dst.bytes.data() + 8, 8);
    return static_cast<size_t>(SipHash13Words(key_, lo, hi)) & (kEntries - 1);
  }

  Router* router_;
  HashKey key_;
  uint64_t generation_ = 0;
  std::array<Entry, kEntries> entries_{};
};

}  // namespace ipvsd::net
