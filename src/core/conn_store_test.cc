#include "core/conn_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "core/conn_sync.h"
#include "core/conn_table.h"
#include "core/core_test_util.h"

namespace ipvsd::core {
namespace {

using testing::DestAt;
using testing::Ip;
using testing::TcpKey;

class ConnStoreTest : public ::testing::Test {
 protected:
  ConnStoreTest() : writer_(testing::TestFactory()), manager_(testing::TestFactory()) {
    path_ = ::testing::TempDir() + "conn_store_test." + std::to_string(::getpid());
    // The run that wrote the store and the one that adopts it, each with the same services.
    for (ServiceManager* m : {&writer_, &manager_}) {
      ServiceConfig cfg;
      cfg.key = TcpKey("198.19.0.1", 80);
      cfg.sched_name = "rr";
      cfg.flags = kSvcPersistent;
      cfg.timeout = 300;
      EXPECT_TRUE(m->AddService(cfg).ok());
      EXPECT_TRUE(m->AddDest(cfg.key, DestAt("198.18.1.1", 8080, FwdMethod::kMasq)).ok());
      EXPECT_TRUE(m->AddDest(cfg.key, DestAt("198.18.1.2", 8080, FwdMethod::kMasq)).ok());
    }
  }
  ~ConnStoreTest() override { std::remove(path_.c_str()); }

  static SyncRecord Conn(uint16_t cport, const char* daddr, TcpState state, uint32_t timeout_s) {
    SyncRecord r;
    r.af = net::Family::kInet;
    r.protocol = net::kProtoTcp;
    r.caddr = Ip("198.18.0.5").raw;
    r.vaddr = Ip("198.19.0.1").raw;
    r.daddr = Ip(daddr).raw;
    r.cport = cport;
    r.vport = 80;
    r.dport = 8080;
    r.state = static_cast<uint16_t>(state);
    r.flags = static_cast<uint32_t>(FwdMethod::kMasq) | (state == TcpState::kEstablished ? 0 : kConnInactive);
    r.timeout_s = timeout_s;
    return r;
  }
  static SyncRecord Template(const char* daddr) {
    SyncRecord r = Conn(0, daddr, TcpState::kNone, 300);
    r.flags = kConnTemplate | static_cast<uint32_t>(FwdMethod::kMasq) | kConnInactive;
    return r;
  }
  static ConnEntry* Find(ConnTable& t, uint16_t cport) {
    return t.FindIn(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, cport, Ip("198.19.0.1").raw, 80);
  }
  static ConnEntry* FindTemplate(ConnTable& t) {
    return t.FindTemplate(net::Family::kInet, net::kProtoTcp, Ip("198.18.0.5").raw, Ip("198.19.0.1").raw, 80);
  }
  const Dest& DestNamed(const char* addr) {
    return *manager_.table()->FindKey(TcpKey("198.19.0.1", 80))->FindDest(Ip(addr), 8080);
  }

  // A stored table as a run leaves it: one template and three connections on 198.18.1.2, the
  // one on port 40002 about to expire; the run's packets gave 40000 a count of 7.
  void WriteStore() {
    auto store = ConnStore::Create(path_, 1024);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ConnTable t(1024, HashKey{{1, 2}}, now_, ConnTable::Entries::kPrefaulted, store->get());
    const ServiceTable& services = *writer_.table();
    ASSERT_EQ(InstallSyncConn(t, t, services, Template("198.18.1.2"), timeouts_, 3, now_), InstallResult::kCreated);
    ASSERT_EQ(InstallSyncConn(t, t, services, Conn(40000, "198.18.1.2", TcpState::kEstablished, 900), timeouts_, 3,
                              now_),
              InstallResult::kCreated);
    ASSERT_EQ(InstallSyncConn(t, t, services, Conn(40001, "198.18.1.2", TcpState::kFinWait, 120), timeouts_, 3, now_),
              InstallResult::kCreated);
    ASSERT_EQ(InstallSyncConn(t, t, services, Conn(40002, "198.18.1.2", TcpState::kEstablished, 2), timeouts_, 3,
                              now_),
              InstallResult::kCreated);
    Find(t, 40000)->in_pkts = 7;
    Find(t, 40000)->flags &= static_cast<uint16_t>(~kConnSync);
    expires_40000_ = Find(t, 40000)->expires;
  }

  ServiceManager writer_;
  ServiceManager manager_;
  Timeouts timeouts_;
  Ticks now_ = SecondsToTicks(50);
  Ticks expires_40000_ = 0;
  std::string path_;
};

TEST_F(ConnStoreTest, AStoredTableIsAdoptedWithStateExpiryCountsAndTemplates) {
  WriteStore();
  auto stored = ReadConnStore(path_);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(stored->templates.size(), 1u);
  EXPECT_EQ(stored->conns.size(), 3u);
  EXPECT_EQ(stored->torn, 0u);

  // The new run: other hash keys, fresh tables, 10 s later.
  ConnTable conns(1024, HashKey{{7, 7}}, now_), templates(128, HashKey{{8, 8}}, now_);
  const Ticks later = now_ + SecondsToTicks(10);
  for (const ConnEntry& e : stored->templates) {
    EXPECT_EQ(AdoptStoredEntry(conns, templates, *manager_.table(), e, timeouts_, later), AdoptResult::kAdopted);
  }
  std::vector<AdoptResult> results;
  for (const ConnEntry& e : stored->conns) {
    results.push_back(AdoptStoredEntry(conns, templates, *manager_.table(), e, timeouts_, later));
  }
  std::sort(results.begin(), results.end());
  EXPECT_EQ(results, (std::vector<AdoptResult>{AdoptResult::kAdopted, AdoptResult::kAdopted, AdoptResult::kExpired}));

  ConnEntry* c = Find(conns, 40000);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state, static_cast<uint8_t>(TcpState::kEstablished));
  EXPECT_EQ(c->expires, expires_40000_) << "the expiry it had, not a new timeout";
  EXPECT_EQ(c->in_pkts, 7u);
  EXPECT_EQ(c->flags & kConnSync, 0) << "placed by this director, not by sync";
  EXPECT_EQ(c->fwd(), FwdMethod::kMasq);
  ConnEntry* t = FindTemplate(templates);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(c->control, templates.IndexOf(t));
  EXPECT_EQ(t->n_control, 2u);
  EXPECT_EQ(t->timeout_s, 300u);
  EXPECT_EQ(t->expires, now_ + SecondsToTicks(300));
  EXPECT_EQ(Find(conns, 40001)->state, static_cast<uint8_t>(TcpState::kFinWait));
  EXPECT_EQ(Find(conns, 40002), nullptr);
  // The NAT replies find them too.
  EXPECT_EQ(conns.FindOut(net::Family::kInet, net::kProtoTcp, Ip("198.18.1.2").raw, 8080, Ip("198.18.0.5").raw, 40000),
            c);
  // Bound to the new run's real server.
  EXPECT_EQ(c->dest, &DestNamed("198.18.1.2"));
  EXPECT_EQ(DestNamed("198.18.1.2").activeconns(), 1);
  EXPECT_EQ(DestNamed("198.18.1.2").inactconns(), 1);
  EXPECT_EQ(DestNamed("198.18.1.2").persistconns(), 1);
}

TEST_F(ConnStoreTest, TornEntriesAreCountedAndNeverAdopted) {
  auto store = ConnStore::Create(path_ + ".b", 64);
  ASSERT_TRUE(store.ok());
  {
    ConnTable t(64, HashKey{{1, 2}}, now_, ConnTable::Entries::kPrefaulted, store->get());
    const ServiceTable& services = *writer_.table();
    for (uint16_t port = 41000; port < 41004; ++port) {
      ASSERT_EQ(InstallSyncConn(t, t, services, Conn(port, "198.18.1.1", TcpState::kEstablished, 900), timeouts_, 3,
                                now_),
                InstallResult::kCreated);
    }
    // Killed while writing the client port of a hashed entry; killed between breaking a seal
    // and unhashing; killed between Allocate and Insert (never hashed: not a connection yet);
    // replaced and waiting for its timer (unhashed: not torn).
    Find(t, 41000)->cport = 41999;
    (*store)->seals()[t.IndexOf(Find(t, 41001))] = 0;
    ConnEntry* half = t.Allocate();
    half->caddr = Ip("198.18.0.9").raw;
    t.Unhash(Find(t, 41002));
  }
  auto stored = ReadConnStore(path_ + ".b");
  std::remove((path_ + ".b").c_str());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->torn, 2u);
  ASSERT_EQ(stored->conns.size(), 1u);
  EXPECT_EQ(stored->conns[0].cport, 41003);
}

TEST_F(ConnStoreTest, AFileOfAnotherLayoutOrNoStoreAtAllIsRefusedWithTheReason) {
  WriteStore();
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    const uint32_t version = ConnStore::kLayoutVersion + 1;
    f.write(reinterpret_cast<const char*>(&version), sizeof version);
  }
  auto other = ReadConnStore(path_);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message, "connection store " + path_ + ": layout version " +
                                       std::to_string(ConnStore::kLayoutVersion + 1) + " (entries of " +
                                       std::to_string(sizeof(ConnEntry)) + " bytes); this ipvsd reads version " +
                                       std::to_string(ConnStore::kLayoutVersion) + " (" +
                                       std::to_string(sizeof(ConnEntry)) + " bytes)");
  {
    std::ofstream f(path_, std::ios::trunc);
    f << "-A -t 198.19.0.1:80 -s rr\n";
  }
  auto junk = ReadConnStore(path_);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().message, "connection store " + path_ + ": not an ipvsd connection store");
  auto missing = ReadConnStore(path_ + ".none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_FALSE(ConnStore::Create(path_, 1000).ok()) << "capacity not a power of two";
}

TEST_F(ConnStoreTest, EntriesWithoutServiceOrRealServerAreCountedNotAdopted) {
  WriteStore();
  auto stored = ReadConnStore(path_);
  ASSERT_TRUE(stored.ok());
  ConnEntry e = stored->conns[0];
  ConnTable conns(1024, HashKey{{7, 7}}, now_), templates(128, HashKey{{8, 8}}, now_);

  ConnEntry elsewhere = e;
  elsewhere.daddr = Ip("198.18.1.9").raw;
  EXPECT_EQ(AdoptStoredEntry(conns, templates, *manager_.table(), elsewhere, timeouts_, now_), AdoptResult::kNoDest);
  ConnEntry other_vip = e;
  other_vip.vaddr = Ip("198.19.0.2").raw;
  EXPECT_EQ(AdoptStoredEntry(conns, templates, *manager_.table(), other_vip, timeouts_, now_),
            AdoptResult::kNoService);
  EXPECT_EQ(conns.size(), 0u);
  EXPECT_EQ(AdoptStoredEntry(conns, templates, *manager_.table(), e, timeouts_, now_), AdoptResult::kAdopted);
  EXPECT_EQ(AdoptStoredEntry(conns, templates, *manager_.table(), e, timeouts_, now_), AdoptResult::kInvalid)
      << "the same connection twice";
  EXPECT_EQ(conns.size(), 1u);
}

// A SYN proxy connection goes on translating sequence numbers and timestamps as before: the
// deltas, its window state and whether the real server has answered come back with it.
TEST_F(ConnStoreTest, ASynproxyConnectionKeepsItsTranslation) {
  WriteStore();
  auto stored = ReadConnStore(path_);
  ASSERT_TRUE(stored.ok());
  ConnTable conns(1024, HashKey{{7, 7}}, now_), templates(128, HashKey{{8, 8}}, now_);
  ConnEntry e = stored->conns[0];
  e.flags |= kConnSynproxy | kConnSynproxyPending;
  e.seq_delta = 0x12345678;
  e.ts_delta = 0x9abcdef0;
  e.proxy_window = SynproxyWindow{2, 0, 29200};
  ASSERT_EQ(AdoptStoredEntry(conns, templates, *manager_.table(), e, timeouts_, now_), AdoptResult::kAdopted);
  const ConnEntry* c = conns.FindIn(e.af, e.protocol, e.caddr, e.cport, e.vaddr, e.vport);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->flags & (kConnSynproxy | kConnSynproxyPending), kConnSynproxy | kConnSynproxyPending);
  EXPECT_EQ(c->seq_delta, 0x12345678u);
  EXPECT_EQ(c->ts_delta, 0x9abcdef0u);
  EXPECT_EQ(c->proxy_window.server_wscale, 2);
  EXPECT_EQ(c->proxy_window.client_window, 29200);
  EXPECT_EQ(c->state, e.state);
  EXPECT_EQ(c->dest->activeconns() + c->dest->inactconns(), 1);
}

TEST(ConnSealTest, CoversEveryIdentifyingFieldAndIsNeverZero) {
  ConnEntry e;
  e.af = e.daf = net::Family::kInet;
  e.protocol = net::kProtoTcp;
  e.caddr = testing::Ip("198.18.0.5").raw;
  e.vaddr = testing::Ip("198.19.0.1").raw;
  e.daddr = testing::Ip("198.18.1.1").raw;
  e.cport = 40000;
  e.vport = 80;
  e.dport = 8080;
  e.flags = kConnInUse | static_cast<uint16_t>(FwdMethod::kMasq);
  const uint32_t seal = ConnSeal(e);
  EXPECT_NE(seal, 0u);
  auto differs = [&](auto change) {
    ConnEntry c = e;
    change(c);
    return ConnSeal(c) != seal;
  };
  EXPECT_TRUE(differs([](ConnEntry& c) { c.caddr.bytes[3] ^= 1; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { c.vaddr.bytes[15] ^= 1; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { c.daddr.bytes[0] ^= 1; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { ++c.cport; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { ++c.vport; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { ++c.dport; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { c.protocol = net::kProtoUdp; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { c.daf = net::Family::kInet6; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { c.flags |= kConnTemplate; }));
  EXPECT_TRUE(differs([](ConnEntry& c) { c.fwmark = 1; }));
  // What changes in place while the entry lives is not covered.
  EXPECT_FALSE(differs([](ConnEntry& c) {
    c.state = 3;
    c.expires = 99;
    c.in_pkts = 5;
    c.flags |= kConnInactive | kConnHashed;
  }));
  // Nor what is set after the entry is hashed: the first reply clears kConnNoOutput, the SYN
  // proxy marks its connections and keeps its timestamp delta in the mark field.
  EXPECT_FALSE(differs([](ConnEntry& c) { c.flags |= kConnNoOutput; }));
  EXPECT_FALSE(differs([](ConnEntry& c) {
    c.flags |= kConnSynproxy | kConnSynproxyPending;
    c.ts_delta = 0x1234;
  }));
}

}  // namespace
}  // namespace ipvsd::core
