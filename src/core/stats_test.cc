#include "core/stats.h"

#include <gtest/gtest.h>

namespace ipvsd::core {
namespace {

TEST(StatsTest, CarriedCountsAddToTheTotalsButNotToTheRates) {
  Stats s;
  s.AddConn(0);
  s.AddIn(0, 100);
  s.Carry(StatsValues{20, 1000, 900, 64000, 48000});
  EXPECT_EQ(s.Current().conns, 21u);
  EXPECT_EQ(s.Current().inpkts, 1001u);
  EXPECT_EQ(s.Current().outpkts, 900u);
  EXPECT_EQ(s.Current().inbytes, 64100u);
  EXPECT_EQ(s.Current().outbytes, 48000u);
  s.EstimatorTick();
  EXPECT_EQ(s.Rates().cps, 0u) << "carried connections are not new ones";
  EXPECT_EQ(s.Rates().inpps, 0u);
  s.Zero();
  EXPECT_EQ(s.Current().conns, 0u);
  s.AddConn(0);
  EXPECT_EQ(s.Current().conns, 1u);
  EXPECT_EQ(s.Total().conns, 22u);
}

}  // namespace
}  // namespace ipvsd::core
