#include "core/estimator.h"

#include <gtest/gtest.h>

namespace ipvsd::core {
namespace {

TEST(RateEstimatorTest, ConvergesLikeTheKernel) {
  // 100 new connections per second: the kernel shows 25, 44, 58, 68, 76, 82, ... -> 100.
  RateEstimator e;
  StatsValues s;
  std::vector<uint64_t> shown;
  for (int tick = 0; tick < 6; ++tick) {
    s.conns += 200;
    e.Tick(s);
    shown.push_back(e.Read().cps);
  }
  EXPECT_EQ(shown, (std::vector<uint64_t>{25, 44, 58, 68, 76, 82}));
  for (int tick = 0; tick < 60; ++tick) {
    s.conns += 200;
    e.Tick(s);
  }
  EXPECT_EQ(e.Read().cps, 100u);
}

TEST(RateEstimatorTest, BytesUseTheirOwnScale) {
  RateEstimator e;
  StatsValues s;
  for (int tick = 0; tick < 80; ++tick) {
    s.inbytes += 2'000'000;  // 1 MB/s
    s.inpkts += 2000;
    e.Tick(s);
  }
  EXPECT_EQ(e.Read().inbps, 1'000'000u);
  EXPECT_EQ(e.Read().inpps, 1000u);
  EXPECT_EQ(e.Read().outbps, 0u);
}

TEST(RateEstimatorTest, ResetForgetsTheAverages) {
  RateEstimator e;
  StatsValues s;
  s.conns = 1000;
  e.Tick(s);
  EXPECT_GT(e.Read().cps, 0u);
  e.Reset(s);
  EXPECT_EQ(e.Read(), RateValues{});
  e.Tick(s);
  EXPECT_EQ(e.Read().cps, 0u);
}

}  // namespace
}  // namespace ipvsd::core
