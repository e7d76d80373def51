// File: dataplane/reply_limiter.h
//
// ReplyLimiter decides whether a worker may send one more packet of its own making (a TCP
// reset, an ICMP port unreachable or time exceeded) so that spoofed traffic cannot turn the
// director into a reflector. It is the kernel's pair of ICMP limits (net/ipv4/icmp.c), kept
// per worker with no lock and no allocation:
//   1. per destination: inet_peer_xrlim_allow (net/ipv4/inetpeer.c), a bucket per peer that
//      earns one reply per icmp_ratelimit (default 1000 ms) and holds XRLIM_BURST_FACTOR = 6
//      of them; a new peer starts full. The kernel keys it per host; ipvsd keys it per /24
//      (IPv4) and per /48 (IPv6), the longest prefixes routed between networks, so that a
//      forger cannot multiply a victim's share by spraying replies over its hosts or /64s.
//   2. global: icmp_global_allow, a bucket refilled at icmp_msgs_per_sec (default 1000)
//      holding icmp_msgs_burst (default 50), for the whole director: each of W workers earns
//      1/W of the rate and holds 1/W of the burst (at least one reply), so the director
//      never sends more than the configured rate however its traffic spreads.
// The global bucket is only looked at first; the destination's is charged, and the global one
// only for a reply its destination allows, as the kernel does since "icmp: change the order
// of rate limits" (Linux 6.12, CVE-2024-47678): else replies forged towards one victim drain
// the global bucket, and what an observer still gets back tells what the director answered
// to others. Unlike icmp_global_consume, a reply costs exactly one token (not a random 0-2):
// with the destination charged first, forged traffic towards one prefix takes at most its
// 6 + 1/s from the global bucket, too little to measure anything by, and exact counts keep
// the limits testable.
//
// Destinations live in a direct-mapped table of kSlots, indexed by a keyed hash of the
// prefix; a prefix that lands on a taken slot evicts its holder (which starts full when it
// comes back, as an expired inet_peer does). The key is random per worker so that an
// attacker cannot aim evictions at a victim's slot; flooding the table to evict it anyway
// only spends global tokens, which cap everything.
//
// The destination buckets are per worker and not divided: a single client's flows mostly
// land on one worker, which must let it have the kernel's 6 + 1/s; a prefix whose packets
// RSS spreads over W workers may get up to W times that, within the global cap.
//
// Allow is O(1): one slot and two buckets, a few multiplications. Time is in nanoseconds
// from the worker's Clock. Token arithmetic is exact integer
// arithmetic (no rounding drift): `burst + rate x elapsed` replies, to the nanosecond.
//
//   ReplyLimiter limiter(RandomHashKey());
//   if (limiter.Allow(v.family, v.src, now_ns, ReplyLimits::From(settings, workers))) send();
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/siphash.h"
#include "core/settings.h"
#include "net/ip_addr.h"

namespace ipvsd::dataplane {

// The limits in force for one worker. A zero interval or rate turns that limit off.
struct ReplyLimits {
  uint64_t dest_interval_ns = 1'000'000'000;  // icmp_ratelimit
  uint32_t dest_burst = 6;                    // XRLIM_BURST_FACTOR
  uint32_t global_per_sec = 1000;             // icmp_msgs_per_sec, for the director
  uint32_t global_burst = 50;                 // icmp_msgs_burst, for the director
  uint32_t workers = 1;                       // sharing the global limit

  static ReplyLimits From(const core::Settings& s, uint32_t workers);
  // The SYN proxy's own limits on its SYN-ACKs (synproxy_dest_per_sec, a second's worth of
  // burst; synproxy_msgs_per_sec and synproxy_msgs_burst).
  static ReplyLimits ForSynCookies(const core::Settings& s, uint32_t workers);
};

// A token bucket over a 64-bit level: it earns `per_ns` units per nanosecond up to `cap`. A
// reply costs a whole number of units. Every product stays below 2^63 for the ranges
// Settings allows (cap < 2^56, per_ns < 2^24).
struct TokenBucket {
  uint64_t level = 0;
  uint64_t stamp_ns = 0;

  // Full at `now_ns`.
  void Fill(uint64_t now_ns, uint64_t cap) {
    level = cap;
    stamp_ns = now_ns;
  }
  // Adds what the time since the last call is worth.
  void Earn(uint64_t now_ns, uint64_t per_ns, uint64_t cap);
  bool TryTake(uint64_t cost) {
    if (level < cost) return false;
    level -= cost;
    return true;
  }
};

class ReplyLimiter {
 public:
  static constexpr size_t kSlots = 1024;  // 24 KB per worker
  static constexpr int kIpv4PrefixLen = 24;
  static constexpr int kIpv6PrefixLen = 48;

  // `key` keys the slot hash: random, so that nobody can aim prefixes at one slot to evict
  // another's bucket.
  explicit ReplyLimiter(const HashKey& key) : key_(key) {}

  // True when one more reply to `dst` may leave now; it is then counted against the limits.
  bool Allow(net::Family family, const net::RawAddr& dst, uint64_t now_ns, const ReplyLimits& limits);

 private:
  struct Slot {
    uint64_t prefix = 0;  // family tag | prefix bits; 0: never used
    TokenBucket bucket;
  };
  static_assert(sizeof(Slot) == 24);

  bool AllowDest(net::Family family, const net::RawAddr& dst, uint64_t now_ns, const ReplyLimits& limits);

  HashKey key_;
  bool global_started_ = false;
  TokenBucket global_;
  std::array<Slot, kSlots> slots_{};
};

}  // namespace ipvsd::dataplane
