#include "sched/twos.h"

#include <gtest/gtest.h>

#include <map>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;
using test_util::Picks;

TEST(TwosTest, SameSeedSameSequence) {
  TwosScheduler first(42);
  TwosScheduler second(42);
  TwosScheduler other(43);
  DestList dests(first);
  for (int w : {1, 2, 3, 4}) dests.Add(w);
  second.OnDestsChanged(dests.list());
  other.OnDestsChanged(dests.list());
  const std::string a = Picks(first, dests, 200);
  EXPECT_EQ(Picks(second, dests, 200), a);
  EXPECT_NE(Picks(other, dests, 200), a);
}

TEST(TwosTest, EqualLoadKeepsTheFirstDrawWithTheKernelsInclusiveRange) {
  TwosScheduler twos(7);
  DestList dests(twos);
  dests.Add(3);  // A
  dests.Add(1);  // B: B(1) A(3)
  // r = rand % (4 + 1): r in {0, 1} lands on B, {2, 3, 4} on A. With equal overheads the
  // second draw never wins, so B gets 2/5 of the picks, not its weight's 1/4.
  std::map<char, int> counts;
  for (char c : Picks(twos, dests, 10000)) ++counts[c];
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_GT(counts['B'], 3700);
  EXPECT_LT(counts['B'], 4300);
}

TEST(TwosTest, TheLessLoadedOfTheTwoDrawsWins) {
  TwosScheduler twos(11);
  DestList dests(twos);
  core::Dest* a = dests.Add(1);
  dests.Add(1);  // B(1) A(1): r in {0, 1} -> B, {2} -> A
  a->SetCountsForTest(50, 0);
  // A is picked only when both draws land on it: 1/9.
  std::map<char, int> counts;
  for (char c : Picks(twos, dests, 9000)) ++counts[c];
  EXPECT_GT(counts['A'], 800);
  EXPECT_LT(counts['A'], 1200);
  EXPECT_EQ(counts['A'] + counts['B'], 9000);
}

TEST(TwosTest, SkipsQuiescedAndOverloaded) {
  TwosScheduler twos(5);
  DestList dests(twos);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(5);
  core::Dest* c = dests.Add(5);
  dests.SetWeight(b, 0);
  dests.Overload(c);
  EXPECT_EQ(Picks(twos, dests, 50), std::string(50, 'A'));
  dests.SetWeight(a, 0);
  EXPECT_EQ(Picks(twos, dests, 2), "--");
}

}  // namespace
}  // namespace ipvsd::sched
