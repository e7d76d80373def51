#include "core/service_manager.h"

#include <gtest/gtest.h>

#include "core/core_test_util.h"

namespace ipvsd::core {
namespace {

using testing::DestAt;
using testing::Ip;
using testing::TcpKey;

ServiceConfig Tcp80(const char* sched = "rr") {
  ServiceConfig c;
  c.key = TcpKey("198.19.0.1", 80);
  c.sched_name = sched;
  return c;
}

TEST(ServiceManagerTest, ErrnoValuesMatchTheKernel) {
  ServiceManager m(testing::TestFactory());
  ServiceKey k = TcpKey("198.19.0.1", 80);
  EXPECT_EQ(m.EditService(Tcp80()).error().code, ESRCH);
  EXPECT_EQ(m.DeleteService(k).error().code, ESRCH);
  EXPECT_EQ(m.Zero(&k).error().code, ESRCH);
  EXPECT_EQ(m.AddDest(k, DestAt("198.18.1.1", 80)).error().code, ESRCH);
  EXPECT_EQ(m.AddService(Tcp80("nosuch")).error().code, ENOENT);
  ASSERT_TRUE(m.AddService(Tcp80()).ok());
  EXPECT_EQ(m.AddService(Tcp80()).error().code, EEXIST);
  ServiceConfig pe = Tcp80();
  pe.key.port = 81;
  pe.pe_name = "nope";
  EXPECT_EQ(m.AddService(pe).error().code, ENOENT);
  EXPECT_EQ(m.EditDest(k, DestAt("198.18.1.1", 80)).error().code, ENOENT);
  EXPECT_EQ(m.DeleteDest(k, Ip("198.18.1.1"), 80).error().code, ENOENT);
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.1", 80)).ok());
  EXPECT_EQ(m.AddDest(k, DestAt("198.18.1.1", 80)).error().code, EEXIST);
  DestConfig bad = DestAt("198.18.1.2", 80);
  bad.weight = -1;
  EXPECT_EQ(m.AddDest(k, bad).error().code, ERANGE);
  bad.weight = 1;
  bad.l_threshold = 5;  // -y without -x: lower above upper (0)
  EXPECT_EQ(m.AddDest(k, bad).error().code, ERANGE);
  EXPECT_EQ(m.AddDest(k, DestAt("0.0.0.0", 80)).error().code, EINVAL);
  EXPECT_EQ(m.AddDest(k, DestAt("2001:db8::1", 80, FwdMethod::kMasq)).error().code, EINVAL);
  EXPECT_TRUE(m.AddDest(k, DestAt("2001:db8::1", 80, FwdMethod::kTunnel)).ok());
}

TEST(ServiceManagerTest, FailedRequestsChangeNothing) {
  ServiceManager m(testing::TestFactory());
  ASSERT_TRUE(m.AddService(Tcp80()).ok());
  uint64_t gen = m.generation();
  auto before = m.table();
  EXPECT_FALSE(m.AddService(Tcp80()).ok());
  EXPECT_FALSE(m.AddDest(TcpKey("198.19.0.1", 80), DestAt("224.0.0.1", 80)).ok());
  EXPECT_EQ(m.generation(), gen);
  EXPECT_EQ(m.table(), before);
}

TEST(ServiceManagerTest, NewestDestinationFirstAndGenerationsAdvance) {
  ServiceManager m(testing::TestFactory());
  ServiceKey k = TcpKey("198.19.0.1", 80);
  ASSERT_TRUE(m.AddService(Tcp80()).ok());
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.1", 80)).ok());
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.2", 80)).ok());
  auto t = m.table();
  EXPECT_EQ(t->generation(), 3u);
  ASSERT_EQ(t->FindKey(k)->dests.size(), 2u);
  EXPECT_EQ(t->FindKey(k)->dests[0]->addr(), Ip("198.18.1.2"));
  EXPECT_EQ(t->Find(0, net::Family::kInet, net::kProtoTcp, Ip("198.19.0.1").raw, 80), t->FindKey(k));
  EXPECT_EQ(t->Find(0, net::Family::kInet, net::kProtoTcp, Ip("198.19.0.1").raw, 81), nullptr);
}

TEST(ServiceManagerTest, PortZeroAndFwmarkLookups) {
  ServiceManager m(testing::TestFactory());
  ServiceConfig any = Tcp80();
  any.key.port = 0;
  any.flags = kSvcPersistent;
  any.timeout = 360;
  ASSERT_TRUE(m.AddService(any).ok());
  ServiceConfig mark;
  mark.key.fwmark = 5;
  mark.sched_name = "rr";
  ASSERT_TRUE(m.AddService(mark).ok());
  auto t = m.table();
  const Service* s = t->Find(0, net::Family::kInet, net::kProtoTcp, Ip("198.19.0.1").raw, 443);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->key().port, 0);
  const Service* f = t->Find(5, net::Family::kInet, net::kProtoUdp, Ip("198.18.9.9").raw, 53);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->key().fwmark, 5u);
}

TEST(ServiceManagerTest, DeletedDestinationWaitsInTrashAndComesBackWithItsCounters) {
  ServiceManager m(testing::TestFactory());
  ServiceKey k = TcpKey("198.19.0.1", 80);
  ASSERT_TRUE(m.AddService(Tcp80()).ok());
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.1", 80)).ok());
  Dest* d = m.table()->FindKey(k)->dests[0].get();
  d->BindConn(true);
  ASSERT_TRUE(m.DeleteDest(k, Ip("198.18.1.1"), 80).ok());
  EXPECT_FALSE(d->available());
  EXPECT_EQ(m.trash_size(), 1u);
  m.PurgeTrash(m.generation());
  EXPECT_EQ(m.trash_size(), 1u);  // still has a connection
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.1", 80, FwdMethod::kMasq, 3)).ok());
  EXPECT_EQ(m.table()->FindKey(k)->dests[0].get(), d);
  EXPECT_TRUE(d->available());
  EXPECT_EQ(d->weight(), 3);
  EXPECT_EQ(d->inactconns(), 1);
  EXPECT_EQ(m.trash_size(), 0u);

  ASSERT_TRUE(m.DeleteService(k).ok());
  d->UnbindConn(true);
  m.PurgeTrash(m.generation() - 1);  // a worker still on the older table
  EXPECT_EQ(m.trash_size(), 1u);
  m.PurgeTrash(m.generation());
  EXPECT_EQ(m.trash_size(), 0u);
}

TEST(ServiceManagerTest, EditServiceKeepsDestsAndStats) {
  ServiceManager m(testing::TestFactory());
  ServiceKey k = TcpKey("198.19.0.1", 80);
  ASSERT_TRUE(m.AddService(Tcp80()).ok());
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.1", 80)).ok());
  auto stats = m.table()->FindKey(k)->stats;
  ServiceConfig e = Tcp80("wlc");
  e.flags = kSvcPersistent;
  e.timeout = 100;
  ASSERT_TRUE(m.EditService(e).ok());
  const Service* s = m.table()->FindKey(k);
  EXPECT_EQ(s->config.sched_name, "wlc");
  EXPECT_EQ(s->config.timeout, 100u);
  EXPECT_EQ(s->dests.size(), 1u);
  EXPECT_EQ(s->stats, stats);
  EXPECT_NE(s->sched->Pick(FlowKey{}, 0), nullptr);  // the new scheduler knows the dests
}

TEST(ServiceManagerTest, ZeroResetsCountersOfOneOrAll) {
  ServiceManager m(testing::TestFactory());
  ServiceKey k = TcpKey("198.19.0.1", 80);
  ASSERT_TRUE(m.AddService(Tcp80()).ok());
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.1", 80)).ok());
  const Service* s = m.table()->FindKey(k);
  s->stats->AddIn(0, 100);
  s->dests[0]->stats().AddIn(1, 100);
  m.total_stats().AddIn(0, 100);
  ASSERT_TRUE(m.Zero(&k).ok());
  EXPECT_EQ(s->stats->Current().inpkts, 0u);
  EXPECT_EQ(s->stats->Total().inpkts, 1u);
  EXPECT_EQ(s->dests[0]->stats().Current().inbytes, 0u);
  EXPECT_EQ(m.total_stats().Current().inpkts, 1u);
  ASSERT_TRUE(m.Zero(nullptr).ok());
  EXPECT_EQ(m.total_stats().Current().inpkts, 0u);
}

}  // namespace
}  // namespace ipvsd::core
