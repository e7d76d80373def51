// File: sched/locality.h
//
// What lblc and lblcr share (kernel: ip_vs_lblc.c, ip_vs_lblcr.c): a cache keyed by the
// destination address the client asked for (a cache cluster serves each origin from "its"
// server), the kernel's rule for when a cached server counts as overloaded, its garbage
// collection, and stable references to destinations that may leave and come back.
//
// Garbage collection, as the kernel's timer does it but run lazily from Pick(now):
// - the kernel's 60 s timer does a full expiration check every 30th tick while the table is
//   within max_size, i.e. every 30 minutes from the first Pick; it drops the entries unused
//   for the expiration (lblc_expiration / lblcr_expiration sysctl, 24 h by default). Only
//   the last check that fell due needs running: nothing was touched since the one before.
// - the kernel lets the table grow past max_size (16384) and its next tick drops entries idle
//   for 6 minutes, walking the buckets from a rover. Ours has exactly max_size entries, sized
//   at construction so that Pick never allocates; the 6-minute collection runs when an insert
//   finds the table full, and when nothing is idle enough the connection is served without a
//   cache entry, as the kernel does when it cannot allocate one.
//
// The bucket of an address is a keyed hash (SipHash-1-3 under a random key, base/siphash.h),
// not the kernel's hash_32 of the folded address: a client picks the destination addresses
// (of a fwmark service, of a transparent cache), and an IPv6 fold is an XOR, so it could put
// every entry in one bucket and make each Pick walk 16384 of them. The bucket decides only
// what a lookup costs, never which server a hit or a miss gets; the one visible trace is in
// a full table, where the 6-minute collection reaches idle entries in another order.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "base/clock.h"
#include "base/siphash.h"
#include "core/dest.h"
#include "net/ip_addr.h"

namespace ipvsd::sched {

// DEFAULT_EXPIRATION of lblc and lblcr: 24 hours.
inline constexpr Ticks kLocalityDefaultExpiration = SecondsToTicks(24 * 60 * 60);

// The kernel's is_overloaded() of lblc/lblcr: `d` has more active connections than its
// weight while some destination of the service (any, d included) is under half of its own.
bool LocalityOverloaded(const core::Dest& d, std::span<core::Dest* const> dests);

// Wrap-safe comparisons of Ticks, as the kernel's time_before()/time_after() of jiffies.
constexpr bool TimeBefore(Ticks a, Ticks b) { return static_cast<int32_t>(a - b) < 0; }
constexpr bool TimeAfter(Ticks a, Ticks b) { return TimeBefore(b, a); }

// Small integer handles for destinations, so cache entries can outlive a Dest* (valid only
// until the next OnDestsChanged). A slot is the server's identity (address, port): when a
// server leaves the service its slot stays, with no Dest, for as long as cache entries refer
// to it, and comes back to life if the same server is added again, which is what the
// kernel's reference-holding entries and its destination trash give.
class DestSlots {
 public:
  // Re-resolves every slot against the service's new list. Control path; may allocate.
  void Update(std::span<core::Dest* const> dests);
  // The slot of dests[list_index] of the last Update().
  uint32_t SlotOf(size_t list_index) const { return list_slots_[list_index]; }
  // The listed destination of a slot; nullptr while its server is not in the service.
  core::Dest* dest(uint32_t slot) const { return slots_[slot].dest; }
  void Hold(uint32_t slot) { ++slots_[slot].refs; }
  void Put(uint32_t slot) { --slots_[slot].refs; }

 private:
  struct Slot {
    core::Dest* dest = nullptr;
    net::IpAddr addr;
    uint16_t port = 0;
    uint32_t refs = 0;  // cache references
    bool used = false;  // listed, or referenced
  };

  std::vector<Slot> slots_;
  std::vector<uint32_t> list_slots_;
};

// The cache: 1024 buckets chained through a pool of max_size entries, each holding a Payload
// (a destination slot for lblc, a destination set for lblcr). Chaining follows the kernel (new
// entries at the bucket head); the hash is keyed (see above).
template <typename Payload>
class LocalityCache {
 public:
  static constexpr int kBucketBits = 10;  // CONFIG_IP_VS_LBLC(R)_TAB_BITS
  static constexpr uint32_t kBuckets = 1u << kBucketBits;
  static constexpr uint32_t kCapacity = kBuckets * 16;  // the kernel's max_size
  // CHECK_EXPIRE_INTERVAL (60 s) * COUNT_FOR_FULL_EXPIRATION (30).
  static constexpr Ticks kFullCheckPeriod = SecondsToTicks(60) * 30;
  static constexpr Ticks kEntryTimeout = SecondsToTicks(6 * 60);  // ENTRY_TIMEOUT

  struct Entry {
    net::RawAddr addr;
    Ticks lastuse = 0;
    int32_t next = -1;
    net::Family family = net::Family::kUnspec;
    Payload payload{};
  };

  LocalityCache(Ticks expiration, const HashKey& key) : expiration_(expiration), key_(key), entries_(kCapacity) {
    heads_.fill(-1);
    for (uint32_t i = 0; i + 1 < kCapacity; ++i) entries_[i].next = static_cast<int32_t>(i + 1);
    free_ = 0;
  }

  Ticks expiration() const { return expiration_; }
  size_t size() const { return size_; }
  // The most entries one Find may walk, for tests and diagnostics of the hash.
  // O(buckets + size).
  uint32_t LongestChain() const {
    uint32_t longest = 0;
    for (int32_t head : heads_) {
      uint32_t length = 0;
      for (int32_t i = head; i >= 0; i = entries_[static_cast<size_t>(i)].next) ++length;
      longest = std::max(longest, length);
    }
    return longest;
  }

  // Runs the full expiration check that fell due by `now`; call it first in every Pick.
  // `release(Payload&)` is called for every dropped entry.
  template <typename Release>
  void Expire(Ticks now, Release&& release) {
    if (!started_) {
      started_ = true;
      next_full_check_ = now + kFullCheckPeriod;
      return;
    }
    if (TimeBefore(now, next_full_check_)) return;
    const Ticks due = next_full_check_ + (now - next_full_check_) / kFullCheckPeriod * kFullCheckPeriod;
    for (uint32_t b = 0; b < kBuckets; ++b) {
      SweepBucket(b, [&](const Entry& e) { return !TimeBefore(due, e.lastuse + expiration_); }, release);
    }
    next_full_check_ = due + kFullCheckPeriod;
  }

  Entry* Find(net::Family family, const net::RawAddr& addr) {
    for (int32_t i = heads_[BucketOf(family, addr)]; i >= 0; i = entries_[static_cast<size_t>(i)].next) {
      Entry& e = entries_[static_cast<size_t>(i)];
      if (e.family == family && e.addr == addr) return &e;
    }
    return nullptr;
  }

  // A new entry for an address Find() did not know, used at `now`; nullptr when the table is
  // full and no entry has been idle for ENTRY_TIMEOUT.
  template <typename Release>
  Entry* Insert(net::Family family, const net::RawAddr& addr, Ticks now, Release&& release) {
    if (free_ < 0) {
      if (!CollectIdle(now, release)) return nullptr;
    }
    const int32_t i = free_;
    Entry& e = entries_[static_cast<size_t>(i)];
    free_ = e.next;
    const uint32_t b = BucketOf(family, addr);
    e.addr = addr;
    e.family = family;
    e.lastuse = now;
    e.payload = Payload{};
    e.next = heads_[b];
    heads_[b] = i;
    ++size_;
    return &e;
  }

 private:
  uint32_t BucketOf(net::Family family, const net::RawAddr& addr) const {
    uint64_t lo, hi;
    std::memcpy(&lo, addr.bytes.data(), 8);
    if (family != net::Family::kInet6) return static_cast<uint32_t>(SipHash13Words(key_, lo)) & (kBuckets - 1);
    std::memcpy(&hi, addr.bytes.data() + 8, 8);
    return static_cast<uint32_t>(SipHash13Words(key_, lo, hi)) & (kBuckets - 1);
  }

  // Drops the entries of bucket `b` for which stale(entry) holds; returns how many.
  template <typename Stale, typename Release>
  int SweepBucket(uint32_t b, Stale&& stale, Release&& release) {
    int removed = 0;
    int32_t* link = &heads_[b];
    while (*link >= 0) {
      const int32_t i = *link;
      Entry& e = entries_[static_cast<size_t>(i)];
      if (!stale(e)) {
        link = &e.next;
        continue;
      }
      *link = e.next;
      release(e.payload);
      e.next = free_;
      free_ = i;
      --size_;
      ++removed;
    }
    return removed;
  }

  // The kernel's over-max_size collection with the table one entry over: goal
  // (entries - max_size) * 4 / 3 = 1, so it stops after the first bucket that yields.
  template <typename Release>
  bool CollectIdle(Ticks now, Release&& release) {
    if (idle_hint_valid_ && TimeBefore(now, no_idle_before_)) return false;
    const int excess = 1;  // the entry about to be inserted
    int goal = excess * 4 / 3;
    Ticks earliest = 0;
    bool seen = false;
    uint32_t j = rover_;
    for (uint32_t n = 0; n < kBuckets && goal > 0; ++n) {
      j = (j + 1) & (kBuckets - 1);
      goal -= SweepBucket(
          j,
          [&](const Entry& e) {
            const Ticks idle_at = e.lastuse + kEntryTimeout;
            if (!TimeBefore(now, idle_at)) return true;
            if (!seen || TimeBefore(idle_at, earliest)) earliest = idle_at;
            seen = true;
            return false;
          },
          release);
    }
    rover_ = j;
    // A walk that found nothing saw every entry: none can be collected before the earliest
    // of their idle times, and hits only push those later.
    idle_hint_valid_ = goal > 0;
    no_idle_before_ = earliest;
    return goal <= 0;
  }

  const Ticks expiration_;
  const HashKey key_;
  std::vector<Entry> entries_;
  std::array<int32_t, kBuckets> heads_;
  int32_t free_ = -1;
  size_t size_ = 0;
  uint32_t rover_ = 0;
  bool started_ = false;
  Ticks next_full_check_ = 0;
  bool idle_hint_valid_ = false;
  Ticks no_idle_before_ = 0;
};

}  // namespace ipvsd::sched
