#include "net/next_hop_cache.h"

#include <gtest/gtest.h>

namespace ipvsd::net {
namespace {

IpAddr Ip(const char* s) { return *IpAddr::Parse(s); }

// A router that counts its lookups, over a StaticRouter.
class CountingRouter final : public Router {
 public:
  bool Lookup(Family family, const RawAddr& dst, NextHop* out) override {
    ++lookups;
    return inner.Lookup(family, dst, out);
  }
  uint64_t generation() const override { return inner.generation(); }
  StaticRouter inner;
  int lookups = 0;
};

StaticRouter::Route OnLink(const char* prefix, int len, uint32_t ifindex) {
  StaticRouter::Route r;
  r.prefix = Ip(prefix);
  r.prefix_len = len;
  r.hop.ifindex = ifindex;
  return r;
}

TEST(NextHopCacheTest, AnswersFromCacheUntilTheRouterChanges) {
  CountingRouter router;
  router.inner.AddRoute(OnLink("198.18.1.0", 24, 2));
  router.inner.AddNeighbour({Ip("198.18.1.10"), MacAddr{{2, 0, 0, 0, 1, 1}}});
  NextHopCache cache(&router);
  cache.Refresh();
  NextHop hop;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cache.Lookup(Family::kInet, Ip("198.18.1.10").raw, &hop));
    EXPECT_EQ(hop.ifindex, 2u);
    EXPECT_EQ(hop.dst_mac.bytes[5], 1);
  }
  EXPECT_EQ(router.lookups, 1);

  // The neighbour's MAC changes: within the burst the cached answer stands, after Refresh the
  // new one is asked for.
  router.inner.AddNeighbour({Ip("198.18.1.10"), MacAddr{{2, 0, 0, 0, 1, 2}}});
  ASSERT_TRUE(cache.Lookup(Family::kInet, Ip("198.18.1.10").raw, &hop));
  EXPECT_EQ(hop.dst_mac.bytes[5], 1);
  cache.Refresh();
  ASSERT_TRUE(cache.Lookup(Family::kInet, Ip("198.18.1.10").raw, &hop));
  EXPECT_EQ(hop.dst_mac.bytes[5], 2);
  EXPECT_EQ(router.lookups, 2);
}

TEST(NextHopCacheTest, FailuresAreAskedAgainAndFamiliesKeptApart) {
  CountingRouter router;
  NextHopCache cache(&router);
  cache.Refresh();
  NextHop hop;
  EXPECT_FALSE(cache.Lookup(Family::kInet, Ip("198.18.1.10").raw, &hop));
  EXPECT_FALSE(cache.Lookup(Family::kInet, Ip("198.18.1.10").raw, &hop));
  EXPECT_EQ(router.lookups, 2);
  router.inner.AddRoute(OnLink("198.18.1.0", 24, 2));
  router.inner.AddRoute(OnLink("2001:db8:1::", 64, 3));
  cache.Refresh();
  ASSERT_TRUE(cache.Lookup(Family::kInet, Ip("198.18.1.10").raw, &hop));
  EXPECT_EQ(hop.ifindex, 2u);
  ASSERT_TRUE(cache.Lookup(Family::kInet6, Ip("2001:db8:1::10").raw, &hop));
  EXPECT_EQ(hop.ifindex, 3u);
  // More destinations than slots, each with its own neighbour: every answer is still its own.
  auto addr = [](int i) {
    RawAddr a = Ip("198.18.1.0").raw;
    a.bytes[3] = static_cast<uint8_t>(i);
    return a;
  };
  for (int i = 1; i < 255; ++i) {
    router.inner.AddNeighbour({IpAddr{addr(i), Family::kInet}, MacAddr{{2, 0, 0, 0, 9, static_cast<uint8_t>(i)}}});
  }
  cache.Refresh();
  for (int round = 0; round < 2; ++round) {
    for (int i = 1; i < 255; ++i) {
      ASSERT_TRUE(cache.Lookup(Family::kInet, addr(i), &hop));
      EXPECT_EQ(hop.dst_mac.bytes[5], i);
    }
  }
}

}  // namespace
}  // namespace ipvsd::net
