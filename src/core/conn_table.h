// File: core/conn_table.h
//
// ConnTable is one worker's shard of the connection table: a fixed-capacity pool of
// ConnEntry records, two chained hash indexes over it (client side, for every packet from
// clients; real-server side, for NAT replies and ICMP errors from real servers) and a timer
// wheel that expires entries. Only its worker touches it, so nothing here locks.
//
// Capacity is fixed at start-up (a power of two); when it is full, Allocate() returns
// nullptr and the caller counts a "table full" drop.
//
// The entries live in anonymous memory, or in a ConnStore's file so that they outlive the
// process (core/conn_store.h): then Insert seals each entry and Unhash breaks the seal.
//
// Timers are lazy: traffic only moves `expires` later; the wheel notices when it reaches the
// entry's slot and relinks it. Moving `expires` earlier (a state with a shorter timeout,
// expire-now) needs Rearm(). The wheel has kWheelSlots slots of one Tick; entries further
// away than one revolution are revisited once per revolution.
//
// Both indexes hash the whole key (addresses, ports, protocol, family) with SipHash-1-3 under
// a random 128-bit key (base/siphash.h): clients choose their addresses and ports, and with
// a hash they could predict they would choose keys that share one bucket and make every
// lookup walk all of them (hash flooding).
#pragma once

#include <cstdint>
#include <cstring>

#include "base/prefetch.h"
#include "base/siphash.h"
#include "core/conn.h"
#include "core/conn_store.h"

namespace ipvsd::core {

class ConnTable {
 public:
  static constexpr uint32_t kWheelSlots = 4096;

  // Entry memory faulted in at construction (the data path's tables: first-touch zeroing would
  // cost new connections half their rate) or at first use (a table that rarely fills).
  enum class Entries : uint8_t { kPrefaulted, kOnFirstUse };
  // capacity is rounded up to a power of two; key keys the hash (RandomHashKey() in
  // production: whoever knows it can flood a bucket). With a `store` (whose capacity must be
  // RoundCapacity(capacity), and which must outlive the table) the entries are its.
  ConnTable(uint32_t capacity, const HashKey& key, Ticks now, Entries entries = Entries::kPrefaulted,
            ConnStore* store = nullptr);
  ~ConnTable();
  ConnTable(const ConnTable&) = delete;
  ConnTable& operator=(const ConnTable&) = delete;

  static uint32_t RoundCapacity(uint32_t capacity);
  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }
  uint32_t templates() const { return templates_; }

  // The staged lookup of a burst, so that the cache misses of 64 packets overlap instead of
  // queueing one after another: HashIn() and PrefetchBucket() every packet; then
  // cursor = InChain(hash) and PrefetchEntry(cursor) every packet; then
  // cursor = SkipIn(cursor, key) every packet (with about one entry per bucket, a third of
  // the connections sit second in their chain); then FindInFrom(cursor, key). A cursor is
  // only good while the client-side index is as it was: once changes() has moved (an earlier
  // packet of the burst made or removed a connection, perhaps of the same flow), look up
  // with FindIn from the bucket instead.
  uint64_t HashIn(net::Family af, uint8_t proto, const net::RawAddr& caddr, uint16_t cport, const net::RawAddr& vaddr,
                  uint16_t vport) const {
    return Hash(af, proto, caddr, cport, vaddr, vport, false);
  }
  void PrefetchBucket(uint64_t hash) const { Prefetch(&in_heads_[hash & mask_]); }
  uint32_t InChain(uint64_t hash) const { return in_heads_[hash & mask_]; }
  void PrefetchEntry(uint32_t idx) const {
    if (idx == kNoIndex) return;
    // 112 bytes at a 16-byte stride start anywhere in a line: an entry spans two or three
    // cache lines, and the lookup and the rewrite read them all.
    const char* p = reinterpret_cast<const char*>(&entries_[idx]);
    Prefetch(p);
    Prefetch(p + 64);
    Prefetch(p + sizeof(ConnEntry) - 1);
  }
  // The cursor itself when its entry is the connection, else the next entry of the chain,
  // whose lines are then requested.
  uint32_t SkipIn(uint32_t cursor, net::Family af, uint8_t proto, const net::RawAddr& caddr, uint16_t cport,
                  const net::RawAddr& vaddr, uint16_t vport) const {
    if (cursor == kNoIndex || MatchesIn(entries_[cursor], af, proto, caddr, cport, vaddr, vport)) return cursor;
    uint32_t next = entries_[cursor].in_next;
    PrefetchEntry(next);
    return next;
  }
  // FindIn, walking the chain from a cursor of the staged lookup.
  ConnEntry* FindInFrom(uint32_t cursor, net::Family af, uint8_t proto, const net::RawAddr& caddr, uint16_t cport,
                        const net::RawAddr& vaddr, uint16_t vport) const;
  // Counts the changes of the client-side index (Insert, Unhash).
  uint64_t changes() const { return changes_; }

  // Lookups. FindIn: a connection (not a template) by its client side; FindOut: a NAT
  // connection by its real-server side; FindTemplate: a persistence template by
  // (protocol, masked client address, virtual address or mark, virtual port or 0).
  ConnEntry* FindIn(net::Family af, uint8_t proto, const net::RawAddr& caddr, uint16_t cport,
                    const net::RawAddr& vaddr, uint16_t vport) const;
  ConnEntry* FindOut(net::Family af, uint8_t proto, const net::RawAddr& daddr, uint16_t dport,
                     const net::RawAddr& caddr, uint16_t cport);
  ConnEntry* FindTemplate(net::Family af, uint8_t proto, const net::RawAddr& snet, const net::RawAddr& vaddr,
                          uint16_t vport) const;

  // A zeroed entry not yet in any index, or nullptr when the table is full.
  ConnEntry* Allocate();
  // Makes an allocated entry findable (client side always; real-server side for NAT
  // connections) and arms its timer at e->expires.
  //
  // The real-server-side bucket of a new NAT connection is a cache miss that nothing before
  // the scheduling decision could have prefetched, so Insert only prefetches it and queues
  // the link; LinkPendingOut() (the worker calls it after each burst) makes the links, by
  // then from cache. FindOut and Unhash link the queue first: the indexes are exact whenever
  // they are read.
  void Insert(ConnEntry* e);
  void LinkPendingOut();
  // Removes an entry from the indexes (it can no longer be found) but leaves it on its timer
  // so that the wheel frees it; used to replace a connection by a new one at once.
  void Unhash(ConnEntry* e);
  // Returns an allocated entry that was never inserted (a one-packet connection).
  void Discard(ConnEntry* e) { Free(e); }
  // Call after moving e->expires earlier than before.
  void Rearm(ConnEntry* e);

  // Runs the wheel up to `now`. For every entry whose time has come, on_expire(entry, at) is
  // called with the tick it came due (ordering within a catch-up is kept): it returns true to
  // free the entry (after doing its own accounting), or false after setting a later
  // e->expires to keep it. Returns the number of entries freed. A worker that stalled for
  // more than one revolution catches up in one pass at `now`; a `now` at or before the last
  // one run does nothing.
  template <typename OnExpire>
  uint32_t Expire(Ticks now, OnExpire&& on_expire);

  ConnEntry* At(uint32_t index) const { return &entries_[index]; }
  uint32_t IndexOf(const ConnEntry* e) const { return static_cast<uint32_t>(e - entries_); }
  // Every entry that is in use (hashed or waiting on its timer), in index order.
  template <typename F>
  void ForEach(F&& f) const;
  // The same from entry index `from` for as long as f returns true; returns the index after
  // the last entry looked at (the end of the entries handed out so far when f never stopped).
  template <typename F>
  uint32_t ForEachFrom(uint32_t from, F&& f) const;

  // The client-side index's buckets (a power of two), and the entries (connections and
  // templates) chained in one of them; f may not change the index.
  uint32_t bucket_count() const { return capacity_; }
  template <typename F>
  void ForEachInBucket(uint32_t bucket, F&& f) {
    for (uint32_t idx = in_heads_[bucket & mask_]; idx != kNoIndex; idx = entries_[idx].in_next) f(entries_[idx]);
  }

  // The longest chain of the client-side (kIn) or real-server-side (kOut) index: the most
  // entries one lookup may have to walk, for tests and diagnostics of the hash (a few with a
  // keyed hash at one entry per bucket; thousands under a hash-flooding attack). O(capacity).
  enum class Index : uint8_t { kIn, kOut };
  uint32_t LongestChain(Index index);

 private:
  static bool MatchesIn(const ConnEntry& e, net::Family af, uint8_t proto, const net::RawAddr& caddr, uint16_t cport,
                        const net::RawAddr& vaddr, uint16_t vport) {
    return e.cport == cport && e.vport == vport && e.protocol == proto && e.caddr == caddr && e.vaddr == vaddr &&
           e.af == af && !(e.flags & kConnTemplate);
  }
  // The bucket hash of a key of either index: (a1, port1) is the client for the client side
  // and the real server for the other, (a2, port2) the virtual address or the client.
  uint64_t Hash(net::Family af, uint8_t proto, const net::RawAddr& a1, uint16_t port1, const net::RawAddr& a2,
                uint16_t port2, bool is_template) const {
    const uint64_t rest = uint64_t{port1} << 48 | uint64_t{port2} << 32 | uint64_t{proto} << 16 |
                          uint64_t{static_cast<uint8_t>(af)} << 8 | (is_template ? 1u : 0u);
    if (af != net::Family::kInet6) {
      // Both IPv4 addresses in one word: 6 SipHash rounds in all instead of 9.
      uint32_t v4_1, v4_2;
      std::memcpy(&v4_1, a1.bytes.data(), 4);
      std::memcpy(&v4_2, a2.bytes.data(), 4);
      return SipHash13Words(key_, uint64_t{v4_1} | uint64_t{v4_2} << 32, rest);
    }
    uint64_t w[4];
    std::memcpy(&w[0], a1.bytes.data(), 16);
    std::memcpy(&w[2], a2.bytes.data(), 16);
    return SipHash13Words(key_, w[0], w[1], w[2], w[3], rest);
  }
  void Free(ConnEntry* e);
  void LinkTimer(ConnEntry* e);
  void UnlinkTimer(ConnEntry* e);

  uint32_t capacity_;
  uint32_t mask_;
  HashKey key_;
  ConnEntry* entries_;         // capacity_ entries, mapped lazily
  size_t entries_bytes_;
  bool own_entries_;           // false: the store's
  uint32_t* seals_ = nullptr;  // the store's, or none
  uint32_t* in_heads_;         // capacity_ bucket heads
  uint32_t* out_heads_;
  uint32_t high_water_ = 0;    // entries [0, high_water_) have been handed out at least once
  uint32_t free_head_ = kNoIndex;
  uint32_t size_ = 0;
  uint32_t templates_ = 0;
  uint64_t changes_ = 0;
  struct PendingOut {
    uint32_t index;
    uint32_t bucket;
  };
  static constexpr uint32_t kMaxPendingOut = 64;
  PendingOut pending_out_[kMaxPendingOut];
  uint32_t n_pending_out_ = 0;
  uint32_t slots_[kWheelSlots];
  Ticks wheel_now_;            // every slot up to this tick has been run
};

template <typename OnExpire>
uint32_t ConnTable::Expire(Ticks now, OnExpire&& on_expire) {
  uint32_t freed = 0;
  // Several workers run a shared table's wheel (core/template_table.h), each with the time it
  // read: one that comes with an earlier time has nothing to do.
  if (static_cast<int32_t>(now - wheel_now_) <= 0) return 0;
  bool stalled = now - wheel_now_ > kWheelSlots;
  uint32_t steps = stalled ? kWheelSlots : now - wheel_now_;
  for (uint32_t step = 0; step < steps; ++step) {
    Ticks tick = wheel_now_ + 1;
    wheel_now_ = tick;
    Ticks at = stalled ? now : tick;
    uint32_t idx = slots_[tick % kWheelSlots];
    slots_[tick % kWheelSlots] = kNoIndex;
    while (idx != kNoIndex) {
      ConnEntry* e = &entries_[idx];
      idx = e->timer_next;
      e->timer_prev = e->timer_next = kNoIndex;
      if (static_cast<int32_t>(e->expires - at) <= 0 && on_expire(e, at)) {
        Free(e);
        ++freed;
        continue;
      }
      // Renewed by traffic, or kept by on_expire: wait again.
      if (static_cast<int32_t>(e->expires - at) <= 0) e->expires = at + 1;
      LinkTimer(e);
    }
  }
  if (static_cast<int32_t>(now - wheel_now_) > 0) wheel_now_ = now;
  return freed;
}

template <typename F>
void ConnTable::ForEach(F&& f) const {
  for (uint32_t i = 0; i < high_water_; ++i) {
    const ConnEntry& e = entries_[i];
    if (e.flags & kConnInUse) f(e);
  }
}

template <typename F>
uint32_t ConnTable::ForEachFrom(uint32_t from, F&& f) const {
  uint32_t i = from;
  while (i < high_water_) {
    const ConnEntry& e = entries_[i++];
    if ((e.flags & kConnInUse) && !f(e)) break;
  }
  return i < high_water_ ? i : high_water_;
}

}  // namespace ipvsd::core
