#include "core/service_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "core/core_test_util.h"
#include "net/headers.h"

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

TEST(ServiceManagerTest, SynproxyOnlyForTcpServicesWithNatRealServers) {
  ServiceManager m(testing::TestFactory());
  ServiceConfig proxied = Tcp80();
  proxied.flags = kSvcSynproxy;
  ASSERT_TRUE(m.AddService(proxied).ok());
  ASSERT_TRUE(m.AddDest(proxied.key, DestAt("198.18.1.1", 80, FwdMethod::kMasq)).ok());
  const std::string why =
      "--synproxy needs NAT (-m) real servers: the replies of direct routing and tunnelling bypass the director, "
      "which could not translate their sequence numbers";
  for (FwdMethod fwd : {FwdMethod::kRoute, FwdMethod::kTunnel}) {
    Status st = m.AddDest(proxied.key, DestAt("198.18.1.2", 80, fwd));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, EINVAL);
    EXPECT_EQ(st.error().message, why);
    EXPECT_EQ(m.EditDest(proxied.key, DestAt("198.18.1.1", 80, fwd)).error().code, EINVAL);
  }
  // A service with a direct-routing real server cannot become a SYN proxy.
  ServiceConfig plain = Tcp80();
  plain.key.port = 81;
  ASSERT_TRUE(m.AddService(plain).ok());
  ASSERT_TRUE(m.AddDest(plain.key, DestAt("198.18.1.1", 81, FwdMethod::kRoute)).ok());
  plain.flags = kSvcSynproxy;
  EXPECT_EQ(m.EditService(plain).error().message, why);
  EXPECT_FALSE(m.table()->FindKey(plain.key)->SynproxyCapable());
  EXPECT_TRUE(m.table()->FindKey(proxied.key)->SynproxyCapable());
  // Only TCP services.
  ServiceConfig udp = Tcp80();
  udp.key.protocol = net::kProtoUdp;
  udp.flags = kSvcSynproxy;
  Status st = m.AddService(udp);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, EINVAL);
  EXPECT_EQ(st.error().message, "--synproxy needs a TCP service (not UDP, SCTP or a firewall mark)");
  ServiceConfig mark;
  mark.key.fwmark = 7;
  mark.sched_name = "rr";
  mark.flags = kSvcSynproxy;
  EXPECT_EQ(m.AddService(mark).error().code, EINVAL);
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

namespace ipvsd::core {
namespace {

using testing::DestAt;
using testing::Ip;
using testing::TcpKey;

TEST(ServiceManagerBatchTest, AnErrorInTheMiddleAppliesNothing) {
  ServiceManager m(testing::TestFactory());
  const ServiceKey k = TcpKey("198.19.0.1", 80);
  ASSERT_TRUE(m.AddService(Tcp80()).ok());
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.1", 80)).ok());
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.2", 80)).ok());
  auto before = m.table();
  const uint64_t gen = m.generation();
  Dest* d1 = before->FindKey(k)->FindDest(Ip("198.18.1.1"), 80);

  ServiceConfig other = Tcp80();
  other.key.port = 81;
  const std::vector<ServiceChange> batch = {
      ServiceChange::AddService(other),
      ServiceChange::AddDest(other.key, DestAt("198.18.1.3", 81)),
      ServiceChange::EditDest(k, DestAt("198.18.1.1", 80, FwdMethod::kMasq, 9)),
      ServiceChange::DeleteDest(k, Ip("198.18.1.2"), 80),
      ServiceChange::AddService(Tcp80()),  // exists: EEXIST
      ServiceChange::Flush(),
  };
  size_t failed = 99;
  Status st = m.Apply(batch, &failed);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, EEXIST);
  EXPECT_EQ(failed, 4u);
  // Not a new snapshot, not an edited weight, not a trashed or unavailable destination.
  EXPECT_EQ(m.generation(), gen);
  EXPECT_EQ(m.table(), before);
  EXPECT_EQ(d1->weight(), 1);
  EXPECT_TRUE(before->FindKey(k)->FindDest(Ip("198.18.1.2"), 80)->available());
  EXPECT_EQ(m.trash_size(), 0u);
}

TEST(ServiceManagerBatchTest, ABatchIsOneSnapshotAndTouchesOnlyItsServices) {
  ServiceManager m(testing::TestFactory());
  std::vector<ServiceChange> restore;
  for (uint16_t port = 1; port <= 1000; ++port) {
    ServiceConfig c = Tcp80();
    c.key.port = port;
    restore.push_back(ServiceChange::AddService(c));
    for (int i = 1; i <= 3; ++i) {
      std::string rs = "198.18.1." + std::to_string(i);
      restore.push_back(ServiceChange::AddDest(c.key, DestAt(rs.c_str(), port)));
    }
  }
  const uint64_t gen = m.generation();
  ASSERT_TRUE(m.Apply(restore).ok());
  EXPECT_EQ(m.generation(), gen + 1);
  auto full = m.table();
  ASSERT_EQ(full->size(), 1000u);
  EXPECT_EQ(full->FindKey(TcpKey("198.19.0.1", 500))->dests.size(), 3u);

  ASSERT_TRUE(m.EditDest(TcpKey("198.19.0.1", 7), DestAt("198.18.1.1", 7, FwdMethod::kMasq, 5)).ok());
  auto edited = m.table();
  for (uint16_t port = 1; port <= 1000; ++port) {
    const ServiceKey key = TcpKey("198.19.0.1", port);
    if (port == 7) {
      EXPECT_NE(edited->FindKey(key), full->FindKey(key));
    } else {
      EXPECT_EQ(edited->FindKey(key), full->FindKey(key)) << port;
    }
  }
  // Listings keep the order of addition.
  std::vector<ServicePtr> in_order = edited->InOrder();
  ASSERT_EQ(in_order.size(), 1000u);
  EXPECT_EQ(in_order.front()->key().port, 1);
  EXPECT_EQ(in_order.back()->key().port, 1000);
}

TEST(ServiceManagerBatchTest, DeletedAndReAddedInOneBatchStaysTheSameLiveDestination) {
  ServiceManager m(testing::TestFactory());
  const ServiceKey k = TcpKey("198.19.0.1", 80);
  ASSERT_TRUE(m.AddService(Tcp80()).ok());
  ASSERT_TRUE(m.AddDest(k, DestAt("198.18.1.1", 80)).ok());
  Dest* d = m.table()->FindKey(k)->FindDest(Ip("198.18.1.1"), 80);
  const std::vector<ServiceChange> batch = {
      ServiceChange::DeleteDest(k, Ip("198.18.1.1"), 80),
      ServiceChange::AddDest(k, DestAt("198.18.1.1", 80, FwdMethod::kRoute, 3)),
  };
  ASSERT_TRUE(m.Apply(batch).ok());
  Dest* again = m.table()->FindKey(k)->FindDest(Ip("198.18.1.1"), 80);
  EXPECT_EQ(again, d);
  EXPECT_TRUE(again->available());
  EXPECT_EQ(again->weight(), 3);
  EXPECT_EQ(again->fwd(), FwdMethod::kRoute);
  EXPECT_EQ(m.trash_size(), 0u);

  // Flush and re-add in one batch: the trashed object comes back too.
  ASSERT_TRUE(m.Apply(std::vector<ServiceChange>{ServiceChange::Flush(), ServiceChange::AddService(Tcp80()),
                                                 ServiceChange::AddDest(k, DestAt("198.18.1.1", 80))})
                  .ok());
  EXPECT_EQ(m.table()->FindKey(k)->FindDest(Ip("198.18.1.1"), 80), d);
  EXPECT_TRUE(d->available());
  EXPECT_EQ(m.trash_size(), 0u);
}

TEST(ServiceManagerBatchTest, ReadersSeeTheOldTableOrTheNewOneNeverAHalf) {
  ServiceManager m(testing::TestFactory());
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      auto t = m.table();
      const size_t n = t->size();
      // Batches add or delete 200 services at once, each with 2 destinations.
      if (n % 200 != 0) ++torn;
      t->ForEach([&](const ServicePtr& s) {
        if (s->dests.size() != 2) ++torn;
      });
      ++reads;
    }
  });
  for (int round = 0; round < 50; ++round) {
    std::vector<ServiceChange> batch;
    for (uint16_t port = 1; port <= 200; ++port) {
      ServiceConfig c = Tcp80();
      c.key.port = port;
      if (round % 2 == 0) {
        batch.push_back(ServiceChange::AddService(c));
        batch.push_back(ServiceChange::AddDest(c.key, DestAt("198.18.1.1", port)));
        batch.push_back(ServiceChange::AddDest(c.key, DestAt("198.18.1.2", port)));
      } else {
        batch.push_back(ServiceChange::DeleteService(c.key));
      }
    }
    ASSERT_TRUE(m.Apply(batch).ok());
  }
  while (reads.load() < 100) std::this_thread::yield();
  stop = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace ipvsd::core
