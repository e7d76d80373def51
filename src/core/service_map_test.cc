#include "core/service_map.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/core_test_util.h"

namespace ipvsd::core {
namespace {

using testing::TcpKey;

ServicePtr MakeService(uint16_t port, uint64_t seq) {
  auto s = std::make_shared<Service>();
  s->config.key = TcpKey("198.19.0.1", port);
  s->seq = seq;
  return s;
}

ServiceMap WithPorts(uint16_t first, uint16_t count) {
  ServiceMap::Builder b{ServiceMap{}};
  for (uint16_t p = first; p < first + count; ++p) b.Put(MakeService(p, p));
  return std::move(b).Build();
}

TEST(ServiceMapTest, FindsWhatWasPutAndNothingElse) {
  ServiceMap m = WithPorts(1, 5000);
  EXPECT_EQ(m.size(), 5000u);
  for (uint16_t p = 1; p <= 5000; ++p) {
    const Service* s = m.Find(TcpKey("198.19.0.1", p));
    ASSERT_NE(s, nullptr) << p;
    EXPECT_EQ(s->key().port, p);
  }
  EXPECT_EQ(m.Find(TcpKey("198.19.0.1", 5001)), nullptr);
  EXPECT_EQ(m.Find(TcpKey("198.19.0.2", 1)), nullptr);
  EXPECT_FALSE(m.has_port_zero());
}

TEST(ServiceMapTest, AChangeSharesEveryUntouchedService) {
  ServiceMap before = WithPorts(1, 3000);
  ServiceMap::Builder b(before);
  b.Put(MakeService(7000, 7000));
  ASSERT_TRUE(b.Erase(TcpKey("198.19.0.1", 10)));
  ServiceMap after = std::move(b).Build();

  // The old version is untouched.
  EXPECT_EQ(before.size(), 3000u);
  EXPECT_NE(before.Find(TcpKey("198.19.0.1", 10)), nullptr);
  EXPECT_EQ(before.Find(TcpKey("198.19.0.1", 7000)), nullptr);
  // Every service the change did not touch is the same object in both versions.
  EXPECT_EQ(after.size(), 3000u);
  for (uint16_t p = 1; p <= 3000; ++p) {
    if (p == 10) continue;
    EXPECT_EQ(after.Find(TcpKey("198.19.0.1", p)), before.Find(TcpKey("198.19.0.1", p))) << p;
  }
  EXPECT_EQ(after.Find(TcpKey("198.19.0.1", 10)), nullptr);
}

TEST(ServiceMapTest, DiffReportsExactlyWhatChanged) {
  ServiceMap before = WithPorts(1, 2000);
  ServiceMap::Builder b(before);
  b.Put(MakeService(5000, 5000));                 // added
  ASSERT_TRUE(b.Erase(TcpKey("198.19.0.1", 20)));  // deleted
  b.Put(MakeService(30, 30));                     // replaced by a new object
  ServiceMap after = std::move(b).Build();

  std::map<uint16_t, std::string> seen;
  ServiceMap::Diff(before, after, [&](const Service* was, const Service* now) {
    uint16_t port = (was ? was : now)->key().port;
    seen[port] = !was ? "added" : !now ? "deleted" : "replaced";
  });
  EXPECT_EQ(seen, (std::map<uint16_t, std::string>{{20, "deleted"}, {30, "replaced"}, {5000, "added"}}));
  int calls = 0;
  ServiceMap::Diff(after, after, [&](const Service*, const Service*) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ServiceMapTest, DiffOfMapsMadeApartComparesServiceByService) {
  // Two maps made apart have different hash keys, so their leaves do not line up; Diff must
  // still report only what differs (and a cleared builder keeps its map's key).
  ServiceMap before = WithPorts(1, 300);
  ServiceMap::Builder b{ServiceMap{}};
  before.ForEach([&](const ServicePtr& s) {
    if (s->key().port != 20) b.Put(s);
  });
  b.Put(MakeService(30, 30));
  b.Put(MakeService(500, 500));
  ServiceMap after = std::move(b).Build();
  std::map<uint16_t, std::string> seen;
  auto record = [&](const Service* was, const Service* now) {
    uint16_t port = (was ? was : now)->key().port;
    seen[port] = !was ? "added" : !now ? "deleted" : "replaced";
  };
  ServiceMap::Diff(before, after, record);
  EXPECT_EQ(seen, (std::map<uint16_t, std::string>{{20, "deleted"}, {30, "replaced"}, {500, "added"}}));

  ServiceMap::Builder c(before);
  c.Clear();
  c.Put(MakeService(7, 7));
  seen.clear();
  ServiceMap::Diff(before, std::move(c).Build(), record);
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(seen[7], "replaced");
  EXPECT_EQ(seen[8], "deleted");
}

TEST(ServiceMapTest, InOrderFollowsTheOrderOfAdditionAndPortZeroIsCounted) {
  ServiceMap::Builder b{ServiceMap{}};
  b.Put(MakeService(443, 2));
  b.Put(MakeService(80, 1));
  b.Put(MakeService(0, 3));
  ServiceMap m = std::move(b).Build();
  std::vector<uint16_t> ports;
  for (const ServicePtr& s : m.InOrder()) ports.push_back(s->key().port);
  EXPECT_EQ(ports, (std::vector<uint16_t>{80, 443, 0}));
  EXPECT_TRUE(m.has_port_zero());
  ServiceMap::Builder c(m);
  ASSERT_TRUE(c.Erase(TcpKey("198.19.0.1", 0)));
  EXPECT_FALSE(c.Erase(TcpKey("198.19.0.1", 0)));
  EXPECT_FALSE(std::move(c).Build().has_port_zero());
}

}  // namespace
}  // namespace ipvsd::core
