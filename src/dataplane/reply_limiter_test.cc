#include "dataplane/reply_limiter.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace ipvsd::dataplane {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSecond = 1'000'000'000;

net::RawAddr Addr(const char* text) { return (*net::IpAddr::Parse(text)).raw; }

ReplyLimits GlobalOnly(uint32_t per_sec, uint32_t burst, uint32_t workers) {
  ReplyLimits l;
  l.dest_interval_ns = 0;
  l.global_per_sec = per_sec;
  l.global_burst = burst;
  l.workers = workers;
  return l;
}

// Each of 4 workers holds a quarter of the burst (12 of 50) and earns a quarter of the rate.
TEST(ReplyLimiterTest, WorkersShareTheDirectorsRateAndBurst) {
  ReplyLimiter limiter(HashKey{{1, 0}});
  const ReplyLimits l = GlobalOnly(1000, 50, 4);
  const net::RawAddr a = Addr("198.18.0.5");
  uint64_t now = 5 * kSecond;
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += limiter.Allow(net::Family::kInet, a, now, l);
  EXPECT_EQ(allowed, 12);
  // Then one try a millisecond for 999 ms: 2 replies' worth of units were left over (12.5 - 12
  // replies = 2e9 units), and each millisecond earns 1e9 (a quarter reply): floor(1001 / 4).
  for (int ms = 1; ms < 1000; ++ms) allowed += limiter.Allow(net::Family::kInet, a, now + ms * kMs, l);
  EXPECT_EQ(allowed, 12 + 250);
}

TEST(ReplyLimiterTest, ABurstSmallerThanTheWorkersStillLetsOneReplyThrough) {
  ReplyLimiter limiter(HashKey{{1, 0}});
  const ReplyLimits l = GlobalOnly(1000, 2, 8);
  const net::RawAddr a = Addr("198.18.0.5");
  EXPECT_TRUE(limiter.Allow(net::Family::kInet, a, kSecond, l));
  EXPECT_FALSE(limiter.Allow(net::Family::kInet, a, kSecond, l));
  EXPECT_TRUE(limiter.Allow(net::Family::kInet, a, kSecond + 8 * kMs, l));  // 8 ms earn 1000/8 x 8 ms = 1
}

TEST(ReplyLimiterTest, ADestinationRefusalCostsTheGlobalBucketNothing) {
  ReplyLimiter limiter(HashKey{{1, 0}});
  ReplyLimits l;  // kernel defaults: 6 + 1/s per prefix, 50 + 1000/s in all
  const uint64_t now = kSecond;
  int victim = 0;
  for (int i = 0; i < 1000; ++i) victim += limiter.Allow(net::Family::kInet, Addr("203.0.113.9"), now, l);
  EXPECT_EQ(victim, 6);
  // The other 994 forged replies took nothing from the global bucket: 44 of 50 are left.
  int others = 0;
  for (int i = 0; i < 100; ++i) {
    net::RawAddr a = net::RawAddr::FromV4((100u << 24) | (64u << 16) | (static_cast<uint32_t>(i) << 8) | 1);
    others += limiter.Allow(net::Family::kInet, a, now, l);
  }
  EXPECT_EQ(others, 44);
}

TEST(ReplyLimiterTest, AGlobalRefusalCostsTheDestinationNothing) {
  ReplyLimiter limiter(HashKey{{1, 0}});
  ReplyLimits l;
  l.global_burst = 1;
  const net::RawAddr a = Addr("198.18.0.5");
  EXPECT_TRUE(limiter.Allow(net::Family::kInet, a, kSecond, l));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.Allow(net::Family::kInet, a, kSecond, l));
  // 1 ms later the global bucket has earned one reply; the prefix still has five of its six.
  int allowed = 0;
  for (int ms = 1; ms <= 5; ++ms) allowed += limiter.Allow(net::Family::kInet, a, kSecond + ms * kMs, l);
  EXPECT_EQ(allowed, 5);
  EXPECT_FALSE(limiter.Allow(net::Family::kInet, a, kSecond + 6 * kMs, l));
}

TEST(ReplyLimiterTest, PrefixesAreSlash24AndSlash48) {
  ReplyLimiter limiter(HashKey{{7, 0}});
  ReplyLimits l;
  l.global_per_sec = 0;
  auto drain = [&](net::Family f, const char* text) {
    int n = 0;
    for (int i = 0; i < 20; ++i) n += limiter.Allow(f, Addr(text), kSecond, l);
    return n;
  };
  EXPECT_EQ(drain(net::Family::kInet, "192.0.2.1"), 6);
  EXPECT_EQ(drain(net::Family::kInet, "192.0.2.254"), 0);
  EXPECT_EQ(drain(net::Family::kInet, "192.0.3.1"), 6);
  EXPECT_EQ(drain(net::Family::kInet6, "2001:db8:1::1"), 6);
  EXPECT_EQ(drain(net::Family::kInet6, "2001:db8:1:ffff::1"), 0);
  EXPECT_EQ(drain(net::Family::kInet6, "2001:db8:2::1"), 6);
  // An IPv6 prefix whose first bytes look like an IPv4 /24 is another destination.
  EXPECT_EQ(drain(net::Family::kInet6, "c000:2ff::1"), 6);
}

// The largest values Settings allows, and a clock that jumps decades: no overflow, no stall.
TEST(ReplyLimiterTest, ExtremeSettingsAndLongIdleTimesStayExact) {
  ReplyLimiter limiter(HashKey{{3, 0}});
  ReplyLimits l;
  l.dest_interval_ns = 3'600'000 * kMs;
  l.global_per_sec = 10'000'000;
  l.global_burst = 10'000'000;
  l.workers = 64;
  const net::RawAddr a = Addr("198.18.0.5");
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.Allow(net::Family::kInet, a, kSecond, l);
  EXPECT_EQ(allowed, 6);
  const uint64_t later = kSecond + 100ull * 365 * 24 * 3600 * kSecond;  // 100 years on
  allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.Allow(net::Family::kInet, a, later, l);
  EXPECT_EQ(allowed, 6);
}

TEST(ReplyLimiterTest, SettingsMapToLimits) {
  core::Settings s;
  ReplyLimits d = ReplyLimits::From(s, 3);
  EXPECT_EQ(d.dest_interval_ns, kSecond);
  EXPECT_EQ(d.dest_burst, 6u);
  EXPECT_EQ(d.global_per_sec, 1000u);
  EXPECT_EQ(d.global_burst, 50u);
  EXPECT_EQ(d.workers, 3u);
  s.icmp_ratelimit = 250;
  EXPECT_EQ(ReplyLimits::From(s, 0).dest_interval_ns, 250 * kMs);
  EXPECT_EQ(ReplyLimits::From(s, 0).workers, 1u);
}

}  // namespace
}  // namespace ipvsd::dataplane
