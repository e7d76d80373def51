// File: health/feedback_test.cc
//
// The LVS weight formula with exact numbers, its bounds, and the agent reply parser against
// garbage and lies.
#include "health/feedback.h"

#include <gtest/gtest.h>

namespace ipvsd::health {
namespace {

TEST(FeedbackWeight, FollowsTheFormulaWithExactNumbers) {
  FeedbackConfig cfg;  // A 5, scale 10, target 0.95, deadband 0.05, smoothing 0.5
  FeedbackWeight w(10, cfg);
  // load 0 (first sample, no smoothing): 10 + 5 * cbrt(0.95) = 14.9152...
  EXPECT_EQ(w.OnLoad(0.0), 15);
  EXPECT_NEAR(w.weight(), 14.915237862, 1e-9);
  // load 1.5: smoothed 0.5 * 1.5 + 0.5 * 0 = 0.75; + 5 * cbrt(0.2) = 17.8392...
  EXPECT_EQ(w.OnLoad(1.5), 18);
  EXPECT_DOUBLE_EQ(w.smoothed_load(), 0.75);
  EXPECT_NEAR(w.weight(), 17.839255601, 1e-9);
}

TEST(FeedbackWeight, DeadbandAndUnchangedIntegerChangeNothing) {
  FeedbackConfig cfg;
  cfg.smoothing = 1;
  FeedbackWeight w(10, cfg);
  EXPECT_EQ(w.OnLoad(0.93), std::nullopt);  // |0.95 - 0.93| < 0.05
  EXPECT_DOUBLE_EQ(w.weight(), 10);
  cfg.adjust = 0.1;
  FeedbackWeight small(10, cfg);
  EXPECT_EQ(small.OnLoad(0.5), std::nullopt);  // 10.077: still 10
  EXPECT_EQ(small.applied(), 10);
}

TEST(FeedbackWeight, StaysWithinZeroAndScaleTimesConfigured) {
  FeedbackConfig cfg;
  cfg.smoothing = 1;
  FeedbackWeight w(4, cfg);
  for (int i = 0; i < 100; ++i) (void)w.OnLoad(0.0);
  EXPECT_EQ(w.applied(), 40);
  for (int i = 0; i < 100; ++i) (void)w.OnLoad(2.0);
  EXPECT_EQ(w.applied(), 0);
  // One step is bounded: from 0 the largest rise is A * cbrt(0.95).
  EXPECT_EQ(w.OnLoad(0.0), 5);
  EXPECT_EQ(w.Reset(), 4);
}

TEST(FeedbackWeight, AllBelowConfiguredTriggersTheReset) {
  FeedbackConfig cfg;
  cfg.smoothing = 1;
  FeedbackWeight a(10, cfg), b(10, cfg);
  (void)a.OnLoad(1.5);
  EXPECT_FALSE(AllBelowConfigured({&a, &b}));
  (void)b.OnLoad(1.5);
  EXPECT_TRUE(AllBelowConfigured({&a, &b}));
  EXPECT_FALSE(AllBelowConfigured({}));
}

TEST(AggregateLoad, WeightsTheNormalisedComponents) {
  FeedbackConfig cfg;  // 0.5 cpu, 0.3 runq, 0.1 memory, 0.1 connections of 1000
  LoadReport r{0.9, 1, 0.5, 0.2, 500};
  // runq 1 on half a CPU is 2, the cap.
  EXPECT_DOUBLE_EQ(AggregateLoad(r, cfg), 0.5 * 0.9 + 0.3 * 2 + 0.1 * 0.2 + 0.1 * 0.5);
  r.runq = 100;
  r.conns = 1e9;
  EXPECT_DOUBLE_EQ(AggregateLoad(r, cfg), 0.5 * 0.9 + 0.3 * 2 + 0.1 * 0.2 + 0.1 * 2);
}

TEST(ParseLoadReport, ReadsTheAgentsLine) {
  auto r = ParseLoadReport("{\"cpu\":0.4200,\"runq\":1.00,\"ncpu\":2.00,\"mem\":0.3100,\"conns\":12}\n");
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->cpu, 0.42);
  EXPECT_DOUBLE_EQ(r->runq, 1);
  EXPECT_DOUBLE_EQ(r->ncpu, 2);
  EXPECT_DOUBLE_EQ(r->memory, 0.31);
  EXPECT_DOUBLE_EQ(r->conns, 12);
  // Unknown keys (a newer agent) are ignored; missing ones default.
  auto minimal = ParseLoadReport(" { \"cpu\" : 1 , \"disk\": 3 } ");
  ASSERT_TRUE(minimal);
  EXPECT_DOUBLE_EQ(minimal->ncpu, 1);
}

TEST(ParseLoadReport, ClampsLies) {
  auto r = ParseLoadReport("{\"cpu\":7,\"mem\":55,\"runq\":1e300,\"ncpu\":0,\"conns\":1e20}");
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->cpu, 1);
  EXPECT_DOUBLE_EQ(r->memory, 1);
  EXPECT_DOUBLE_EQ(r->runq, 1e4);
  EXPECT_DOUBLE_EQ(r->ncpu, 0.01);
  EXPECT_DOUBLE_EQ(r->conns, 1e9);
}

TEST(ParseLoadReport, RejectsGarbage) {
  for (const char* bad : {"", "rs1\n", "HTTP/1.0 200 OK\r\n", "{}", "{\"cpu\":-0.5}", "{\"cpu\":nan}",
                          "{\"cpu\":inf}", "{\"cpu\":1e999}", "{\"cpu\":\"high\"}", "{\"cpu\":0.5", "{\"cpu\":0.5}x",
                          "{\"runq\":1}", "{\"cpu\" 0.5}", "{\"cpu\":0.5,}", "[0.5]"}) {
    EXPECT_FALSE(ParseLoadReport(bad)) << bad;
  }
  EXPECT_FALSE(ParseLoadReport(std::string(600, ' ') + "{\"cpu\":0}"));
}

}  // namespace
}  // namespace ipvsd::health
