#include "sched/registry.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <ostream>
#include <string>
#include <vector>

#include "sched/sched_test_util.h"

namespace ipvsd::sched {
namespace {

using test_util::DestList;

TEST(RegistryTest, KnowsEveryKernelSchedulerInIpvsadmOrder) {
  const std::vector<std::string_view> expected = {"rr",  "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
                                                  "sh",  "sed", "nq", "fo",  "ovf",  "mh",    "twos"};
  const auto names = SchedulerNames();
  EXPECT_EQ(std::vector<std::string_view>(names.begin(), names.end()), expected);
  for (std::string_view name : names) {
    EXPECT_TRUE(IsKnownScheduler(name));
    auto s = MakeScheduler(name, 0);
    ASSERT_TRUE(s.ok()) << name;
    EXPECT_EQ((*s)->name(), name);
  }
}

TEST(RegistryTest, UnknownNameIsENOENT) {
  EXPECT_FALSE(IsKnownScheduler("rnd"));
  EXPECT_FALSE(IsKnownScheduler(""));
  EXPECT_FALSE(IsKnownScheduler("RR"));
  auto s = MakeScheduler("rnd", 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ENOENT);
}

struct SchedulerCase {
  std::string_view name;
  uint32_t flags;
  // dh, and sh/mh without fallback, answer "no server" when the hashed one is unusable.
  bool may_refuse;
};

// How a case reads in test output and in ctest's name (instead of its bytes).
void PrintTo(const SchedulerCase& c, std::ostream* os) { *os << c.name << " flags " << c.flags; }

std::string CaseName(const ::testing::TestParamInfo<SchedulerCase>& info) {
  std::string name(info.param.name);
  if (info.param.flags & core::kSvcSched1) name += "_fallback";
  return name;
}

std::vector<SchedulerCase> AllCases() {
  std::vector<SchedulerCase> cases;
  for (std::string_view name : SchedulerNames()) {
    const bool hashing = name == "dh" || name == "sh" || name == "mh";
    cases.push_back({name, 0, hashing});
    if (name == "sh" || name == "mh") cases.push_back({name, core::kSvcSched1, false});
  }
  return cases;
}

class EverySchedulerTest : public ::testing::TestWithParam<SchedulerCase> {};

// Flows that differ in everything a scheduler may hash on.
core::FlowKey VariedFlow(uint32_t i) {
  core::FlowKey flow = test_util::TcpFlow(i, static_cast<uint16_t>(1024 + i * 7));
  flow.daddr = test_util::FlowTo(i).daddr;
  return flow;
}

TEST_P(EverySchedulerTest, QuiescedAndOverloadedDestinationsGetNoNewConnection) {
  auto made = MakeScheduler(GetParam().name, GetParam().flags);
  ASSERT_TRUE(made.ok());
  core::Scheduler& s = **made;
  DestList dests(s);
  core::Dest* a = dests.Add(1);
  core::Dest* b = dests.Add(1);
  core::Dest* c = dests.Add(1);
  dests.SetWeight(b, 0);
  dests.Overload(c);
  int served = 0;
  for (uint32_t i = 0; i < 600; ++i) {
    core::Dest* d = s.Pick(VariedFlow(i), SecondsToTicks(i));
    ASSERT_TRUE(d == a || (d == nullptr && GetParam().may_refuse)) << i << " got " << dests.Label(d);
    served += d != nullptr;
  }
  EXPECT_GT(served, 0);
}

TEST_P(EverySchedulerTest, NothingUsableGivesNull) {
  auto made = MakeScheduler(GetParam().name, GetParam().flags);
  ASSERT_TRUE(made.ok());
  core::Scheduler& s = **made;
  DestList dests(s);
  EXPECT_EQ(s.Pick(VariedFlow(0), 0), nullptr);
  core::Dest* a = dests.Add(3);
  core::Dest* b = dests.Add(2);
  dests.SetWeight(a, 0);
  dests.Overload(b);
  for (uint32_t i = 0; i < 50; ++i) ASSERT_EQ(s.Pick(VariedFlow(i), 0), nullptr) << i;
}

INSTANTIATE_TEST_SUITE_P(Registry, EverySchedulerTest, ::testing::ValuesIn(AllCases()), CaseName);

}  // namespace
}  // namespace ipvsd::sched
