// File: health/checker_state_test.cc
//
// keepalived's retry schedule on a fake clock: up -> retry x N (delay_before_retry apart) ->
// down; one success brings it back; a down checker keeps the delay_loop pace.
#include "health/checker_state.h"

#include <gtest/gtest.h>

#include "base/clock.h"

namespace ipvsd::health {
namespace {

CheckerConfig Cfg(int retry) {
  CheckerConfig c;
  c.delay_loop = 6;
  c.delay_before_retry = 2;
  c.retry = retry;
  return c;
}

TEST(CheckerState, GoesDownAfterRetryPlusOneFailuresSpacedByDelayBeforeRetry) {
  FakeClock clock(1'000'000'000);
  CheckerState s(Cfg(2), true);
  auto step = s.OnResult(false, clock.NowNs());
  EXPECT_EQ(step.transition, CheckTransition::kNone);
  EXPECT_EQ(step.next_due_ns, clock.NowNs() + 2'000'000'000);
  clock.AdvanceSeconds(2);
  step = s.OnResult(false, clock.NowNs());
  EXPECT_EQ(step.transition, CheckTransition::kNone);
  EXPECT_EQ(s.retries_done(), 2);
  clock.AdvanceSeconds(2);
  step = s.OnResult(false, clock.NowNs());
  EXPECT_EQ(step.transition, CheckTransition::kWentDown);
  EXPECT_FALSE(s.up());
  EXPECT_EQ(step.next_due_ns, clock.NowNs() + 6'000'000'000);
  // Down: failures keep the normal pace and change nothing.
  clock.AdvanceSeconds(6);
  step = s.OnResult(false, clock.NowNs());
  EXPECT_EQ(step.transition, CheckTransition::kNone);
  EXPECT_EQ(step.next_due_ns, clock.NowNs() + 6'000'000'000);
  // One success is enough to come back.
  clock.AdvanceSeconds(6);
  step = s.OnResult(true, clock.NowNs());
  EXPECT_EQ(step.transition, CheckTransition::kWentUp);
  EXPECT_TRUE(s.up());
}

TEST(CheckerState, SuccessDuringRetriesResetsTheCount) {
  CheckerState s(Cfg(1), true);
  EXPECT_EQ(s.OnResult(false, 0).transition, CheckTransition::kNone);
  EXPECT_EQ(s.OnResult(true, 1).transition, CheckTransition::kNone);
  EXPECT_EQ(s.retries_done(), 0);
  EXPECT_EQ(s.OnResult(false, 2).transition, CheckTransition::kNone);
  EXPECT_EQ(s.OnResult(false, 3).transition, CheckTransition::kWentDown);
}

TEST(CheckerState, CountsConsecutiveFailuresAcrossTheDownTransition) {
  CheckerState s(Cfg(1), true);
  s.OnResult(false, 0);
  s.OnResult(false, 1);  // down
  s.OnResult(false, 2);
  EXPECT_EQ(s.consecutive_failures(), 3);
  EXPECT_EQ(s.retries_done(), 0);
  s.OnResult(true, 3);
  EXPECT_EQ(s.consecutive_failures(), 0);
}

TEST(CheckerState, RetryZeroGoesDownAtTheFirstFailure) {
  CheckerState s(Cfg(0), true);
  EXPECT_EQ(s.OnResult(false, 0).transition, CheckTransition::kWentDown);
}

TEST(CheckerState, AlphaStartsDownAndNeedsOneSuccess) {
  CheckerState s(Cfg(3), false);
  EXPECT_EQ(s.OnResult(false, 0).transition, CheckTransition::kNone);
  EXPECT_EQ(s.OnResult(true, 1).transition, CheckTransition::kWentUp);
}

}  // namespace
}  // namespace ipvsd::health
