// Pick() is on the new-connection path and must not allocate: this binary counts every
// operator new and checks that none happens inside Pick(), for every scheduler, including
// the cache insertions, expirations and collections of lblc and lblcr.
//
// GCC cannot see that the replaced operator new below is malloc-based and reports the free()
// in the matching operator delete wherever gtest's inlined code deletes: a false positive.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <vector>

#include "sched/registry.h"
#include "sched/sched_test_util.h"

namespace {
thread_local long g_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace ipvsd::sched {
namespace {

using test_util::DestList;

TEST(NoAllocCounterTest, SeesAllocations) {
  const long before = g_allocations;
  std::vector<int> v(100);
  asm volatile("" : : "r"(v.data()) : "memory");  // keep the allocation
  EXPECT_GT(g_allocations, before);
}

class NoAllocTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(NoAllocTest, PickNeverAllocates) {
  for (uint32_t flags : {0u, core::kSvcSched1 | core::kSvcSched2}) {
    auto made = MakeScheduler(GetParam(), flags);
    ASSERT_TRUE(made.ok());
    core::Scheduler& s = **made;
    DestList dests(s);
    core::Dest* a = dests.Add(3);
    core::Dest* b = dests.Add(1);
    dests.Add(2);
    dests.SetWeight(b, 0);
    a->SetCountsForTest(4, 1);
    const long before = g_allocations;
    long picked = 0;
    // 20000 addresses, each picked twice (a miss, then a hit), one pick a second, the last
    // ones a day later: a full lblc/lblcr table with its 6-minute collections, and the
    // periodic expiration checks.
    for (uint32_t i = 0; i < 40000; ++i) {
      core::FlowKey flow = test_util::TcpFlow(i % 3000, static_cast<uint16_t>(i));
      flow.daddr = test_util::FlowTo(i / 2).daddr;
      const uint32_t seconds = i + (i < 36000 ? 0 : 30 * 3600);
      picked += s.Pick(flow, SecondsToTicks(seconds)) != nullptr;
    }
    EXPECT_EQ(g_allocations - before, 0) << GetParam() << " flags " << flags;
    EXPECT_GT(picked, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, NoAllocTest, ::testing::ValuesIn(SchedulerNames()),
                         [](const ::testing::TestParamInfo<std::string_view>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace ipvsd::sched
