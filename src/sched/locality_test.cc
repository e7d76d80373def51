#include "sched/locality.h"

#include <gtest/gtest.h>

#include <random>

namespace ipvsd::sched {
namespace {

using Cache = LocalityCache<uint32_t>;

// An IPv6 address of 2001:db8::/64 whose last two 32-bit words are w2 and w3.
net::RawAddr Addr(uint32_t w2, uint32_t w3) {
  net::RawAddr a = net::IpAddr::Parse("2001:db8::")->raw;
  for (int i = 0; i < 4; ++i) {
    a.bytes[8 + i] = static_cast<uint8_t>(w2 >> (24 - 8 * i));
    a.bytes[12 + i] = static_cast<uint8_t>(w3 >> (24 - 8 * i));
  }
  return a;
}

uint32_t LongestChainAfterFilling(const HashKey& key, bool flood) {
  Cache cache(kLocalityDefaultExpiration, key);
  std::mt19937 rng(7);
  for (uint32_t i = 0; i < Cache::kCapacity; ++i) {
    // The flood: words 2 and 3 equal, so they cancel in the folded address (the XOR of the
    // four words) that the kernel's hash_32 buckets by: 16384 addresses, one bucket there.
    const net::RawAddr a = flood ? Addr(i, i) : Addr(rng(), rng());
    EXPECT_NE(cache.Insert(net::Family::kInet6, a, 0, [](uint32_t&) {}), nullptr);
  }
  return cache.LongestChain();
}

TEST(LocalityCacheTest, DestinationsWithOneFoldSpreadLikeRandomOnes) {
  for (int i = 0; i < 3; ++i) {
    const HashKey key = RandomHashKey();
    const uint32_t attacked = LongestChainAfterFilling(key, true);
    const uint32_t random = LongestChainAfterFilling(key, false);
    // 16 entries per bucket on average; the fullest of 1024 holds about 30.
    EXPECT_LE(attacked, 2 * random + 2) << "random addresses " << random;
    EXPECT_LE(attacked, 48u);
  }
}

}  // namespace
}  // namespace ipvsd::sched
