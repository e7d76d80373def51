#include "core/spsc_ring.h"

#include <gtest/gtest.h>

#include <thread>

namespace ipvsd::core {
namespace {

TEST(SpscRingTest, RefusesWhenFullAndKeepsOrder) {
  SpscRing<uint64_t, 4> ring;
  EXPECT_TRUE(ring.Empty());
  for (uint64_t i = 0; i < 4; ++i) EXPECT_TRUE(ring.TryPush(i));
  EXPECT_FALSE(ring.Empty());
  EXPECT_FALSE(ring.TryPush(99));
  uint64_t out[3];
  ASSERT_EQ(ring.PopMany(out), 3u);
  EXPECT_EQ(out[0], 0u);
  EXPECT_EQ(out[2], 2u);
  EXPECT_TRUE(ring.TryPush(4));
  ASSERT_EQ(ring.PopMany(out), 2u);
  EXPECT_EQ(out[0], 3u);
  EXPECT_EQ(out[1], 4u);
  EXPECT_EQ(ring.PopMany(out), 0u);
  EXPECT_TRUE(ring.Empty());
}

TEST(SpscRingTest, TwoThreadsPassEveryRecordOnceInOrder) {
  SpscRing<uint64_t, 64> ring;
  constexpr uint64_t kCount = 200000;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kCount;) {
      if (ring.TryPush(i)) ++i;
    }
  });
  uint64_t next = 0;
  uint64_t buf[16];
  while (next < kCount) {
    size_t n = ring.PopMany(buf);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(buf[i], next++);
  }
  producer.join();
}

}  // namespace
}  // namespace ipvsd::core
