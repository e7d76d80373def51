#include "dataplane/reply_limiter.h"

#include <algorithm>


namespace ipvsd::dataplane {
namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;
constexpr uint64_t kNsPerMs = 1'000'000;
constexpr uint64_t kTagV4 = uint64_t{4} << 56;
constexpr uint64_t kTagV6 = uint64_t{6} << 56;

// The destination's prefix with its family in the top byte, so that no key is 0.
uint64_t PrefixKey(net::Family family, const net::RawAddr& a) {
  if (family == net::Family::kInet6) {
    static_assert(ReplyLimiter::kIpv6PrefixLen == 48);
    uint64_t key = 0;
    for (int i = 0; i < 6; ++i) key = (key << 8) | a.bytes[static_cast<size_t>(i)];
    return kTagV6 | key;
  }
  static_assert(ReplyLimiter::kIpv4PrefixLen == 24);
  return kTagV4 | (a.V4() >> 8);
}

}  // namespace

ReplyLimits ReplyLimits::From(const core::Settings& s, uint32_t workers) {
  ReplyLimits l;
  l.dest_interval_ns = uint64_t{s.icmp_ratelimit.load(std::memory_order_relaxed)} * kNsPerMs;
  l.global_per_sec = s.icmp_msgs_per_sec.load(std::memory_order_relaxed);
  l.global_burst = s.icmp_msgs_burst.load(std::memory_order_relaxed);
  l.workers = workers ? workers : 1;
  return l;
}

ReplyLimits ReplyLimits::ForSynCookies(const core::Settings& s, uint32_t workers) {
  ReplyLimits l;
  const uint32_t dest_per_sec = s.synproxy_dest_per_sec.load(std::memory_order_relaxed);
  l.dest_interval_ns = dest_per_sec ? kNsPerSecond / dest_per_sec : 0;
  l.dest_burst = dest_per_sec;
  l.global_per_sec = s.synproxy_msgs_per_sec.load(std::memory_order_relaxed);
  l.global_burst = s.synproxy_msgs_burst.load(std::memory_order_relaxed);
  l.workers = workers ? workers : 1;
  return l;
}

void TokenBucket::Earn(uint64_t now_ns, uint64_t per_ns, uint64_t cap) {
  const uint64_t elapsed = now_ns > stamp_ns ? now_ns - stamp_ns : 0;
  stamp_ns = std::max(stamp_ns, now_ns);
  if (level >= cap) {
    level = cap;  // the cap may have been lowered since
    return;
  }
  // Compared by division first: a long idle time times the rate would overflow.
  const uint64_t room = cap - level;
  level = elapsed > room / per_ns ? cap : std::min(cap, level + elapsed * per_ns);
}

bool ReplyLimiter::Allow(net::Family family, const net::RawAddr& dst, uint64_t now_ns, const ReplyLimits& limits) {
  if (limits.global_per_sec == 0) return AllowDest(family, dst, now_ns, limits);
  // The director's rate over W workers: each earns `rate` units per ns and pays W seconds'
  // worth of units (W x 1e9) per reply, i.e. rate/W replies a second; it holds burst/W
  // replies, but always room for one.
  const uint64_t cost = kNsPerSecond * limits.workers;
  const uint64_t cap = std::max(uint64_t{limits.global_burst} * kNsPerSecond, cost);
  if (!global_started_) {
    global_.Fill(now_ns, cap);
    global_started_ = true;
  }
  global_.Earn(now_ns, limits.global_per_sec, cap);
  if (global_.level < cost) return false;
  if (!AllowDest(family, dst, now_ns, limits)) return false;
  global_.level -= cost;
  return true;
}

bool ReplyLimiter::AllowDest(net::Family family, const net::RawAddr& dst, uint64_t now_ns,
                             const ReplyLimits& limits) {
  if (limits.dest_interval_ns == 0) return true;
  // inet_peer_xrlim_allow: the level is time, one reply costs one interval, the cap is
  // burst intervals.
  const uint64_t cap = limits.dest_interval_ns * limits.dest_burst;
  const uint64_t key = PrefixKey(family, dst);
  Slot& slot = slots_[SipHash13Words(key_, key) & (kSlots - 1)];
  if (slot.prefix != key) {
    slot.prefix = key;
    slot.bucket.Fill(now_ns, cap);
  }
  slot.bucket.Earn(now_ns, 1, cap);
  return slot.bucket.TryTake(limits.dest_interval_ns);
}

}  // namespace ipvsd::dataplane
