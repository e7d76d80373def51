// File: core/table_defence.h
//
// What a worker does when its shard of the connection table runs short, after the kernel's
// defence strategies (update_defense_level in ip_vs_ctl.c, ip_vs_random_dropentry in
// ip_vs_conn.c, ip_vs_todrop in ip_vs_core.c; Documentation/networking/ipvs-sysctl.rst):
//
//   drop_entry   every second, 1/32 of the buckets, picked at random, lose their half-open
//                connections (TCP SYN_RECV and SYNACK, SCTP INIT1 and INIT) and a share of
//                their idle ones (no packet for 60 s and at most 8 from the client);
//   drop_packet  one new connection's first packet in `rate` is dropped, the rate rising
//                as the free entries fall (amemthresh / (amemthresh - free));
//   secure_tcp   TCP uses the state table that does not trust a client's ACK alone
//                (core/proto_state.h).
//
// Each of them is 0 (off), 1 or 2 (on while the shard is short: fewer free entries than its
// share of amemthresh), or 3 (always on). The kernel writes 2 back into the sysctl while a
// strategy is active and 1 when it is not; here modes 1 and 2 behave alike and the state
// is shown instead (active(), counted by the worker).
//
// A worker owns its TableDefence: it calls Update() once a second with its shard's free
// entries, consults DropNewConnPacket() for each packet that would create a connection and
// secure_tcp() for each TCP state change, and runs DropRandomEntries() while drop_entry()
// holds.
#pragma once

#include <cstdint>

#include "core/conn_table.h"
#include "core/settings.h"
#include "core/timeouts.h"

namespace ipvsd::core {

class TableDefence {
 public:
  // free_entries: the shard's free entries; threshold: its share of amemthresh.
  void Update(const Settings& settings, uint32_t free_entries, uint32_t threshold);

  bool short_of_entries() const { return short_; }
  bool drop_entry() const { return drop_entry_; }
  bool secure_tcp() const { return secure_tcp_; }
  // One packet in drop_rate() is dropped; 0 when drop_packet is off.
  uint32_t drop_rate() const { return drop_rate_; }
  // Whether the first packet of a new connection is to be dropped (and counts it against
  // the rate).
  bool DropNewConnPacket() {
    if (drop_rate_ == 0) return false;
    if (--drop_counter_ > 0) return false;
    drop_counter_ = static_cast<int64_t>(drop_rate_);
    return true;
  }

 private:
  bool short_ = false;
  bool drop_entry_ = false;
  bool secure_tcp_ = false;
  uint32_t drop_rate_ = 0;
  int64_t drop_counter_ = 0;
};

// drop_entry: each Run() looks at (number of buckets) / 32 buckets picked at random and
// hands on_drop(entry) every half-open connection in them and a share of the idle ones; the
// caller expires each at once, with the template that placed it, as the kernel does (the
// template lock is the caller's business). Templates themselves are never picked. Returns
// the number handed over.
class EntryDropper {
 public:
  explicit EntryDropper(uint64_t seed) : random_state_(seed) {}

  template <typename OnDrop>
  uint32_t Run(ConnTable& table, const Timeouts& timeouts, Ticks now, OnDrop&& on_drop);

  // Whether `e`, idle or not, is to be dropped now (todrop_entry for established ones).
  bool Pick(const ConnEntry& e, const Timeouts& timeouts, Ticks now);

 private:
  uint64_t NextRandom();

  uint64_t random_state_;
  // Per in_pkts count 1..8, the entries still to pass over before the next is dropped: an
  // idle entry that saw i client packets is dropped one time in i.
  int8_t countdown_[9] = {};
};

template <typename OnDrop>
uint32_t EntryDropper::Run(ConnTable& table, const Timeouts& timeouts, Ticks now, OnDrop&& on_drop) {
  // Expiring unlinks the entry from the chain being walked, so each bucket's picks are
  // gathered first.
  constexpr int kMaxPerBucket = 64;
  uint32_t dropped = 0;
  const uint32_t buckets = table.bucket_count();
  for (uint32_t n = 0; n < buckets / 32; ++n) {
    ConnEntry* picked[kMaxPerBucket];
    int count = 0;
    table.ForEachInBucket(static_cast<uint32_t>(NextRandom()) & (buckets - 1), [&](ConnEntry& e) {
      if (count < kMaxPerBucket && !e.is_template() && Pick(e, timeouts, now)) picked[count++] = &e;
    });
    for (int i = 0; i < count; ++i) {
      on_drop(*picked[i]);
      ++dropped;
    }
  }
  return dropped;
}

}  // namespace ipvsd::core
