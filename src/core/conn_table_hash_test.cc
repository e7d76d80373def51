// Hash flooding: connections an attacker picks so that an unkeyed hash puts them all in one
// bucket must spread like any other connections.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>
#include <vector>

#include "core/conn_table.h"
#include "core/core_test_util.h"
#include "core/template_table.h"

namespace ipvsd::core {
namespace {

using testing::Ip;

constexpr uint32_t kConns = 1u << 16;
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

uint64_t Load64(const net::RawAddr& a, int half) {
  uint64_t v;
  std::memcpy(&v, a.bytes.data() + 8 * half, 8);
  return v;
}
net::RawAddr WithLow64(net::RawAddr a, uint64_t low) {
  std::memcpy(a.bytes.data() + 8, &low, 8);
  return a;
}

// The inverse of base/hash.h's Mix64, the SplitMix64 finaliser: that it has one is the flaw.
uint64_t UnXorShift(uint64_t y, int shift) {
  uint64_t x = y;
  for (int i = 0; i < 64 / shift + 1; ++i) x = y ^ (x >> shift);
  return x;
}
uint64_t InverseOdd(uint64_t a) {
  uint64_t x = a;  // Newton's iteration doubles the correct low bits: 3, 6, ..., 96
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}
uint64_t UnMix64(uint64_t x) {
  x = UnXorShift(x, 31);
  x *= InverseOdd(0x94d049bb133111ebull);
  x = UnXorShift(x, 27);
  x *= InverseOdd(0xbf58476d1ce4e5b9ull);
  return UnXorShift(x, 30);
}

// The clients of the review finding: 65 536 (address, port) pairs from one IPv6 /64 on which
// the table's former hash, Mix64(mix(addresses) ^ seed ^ rotl(ports, 23)), agreed before the
// seed came in, so that they shared one bucket under every seed. Its address part was
//   x = Mix64(A ^ (w + kGolden + (A << 6) + (A >> 2))), A = lo64(a1) * kGolden ^ lo64(a2),
//   w = hi64(a1) ^ rotl(hi64(a2), 31)
// for the key's two addresses a1, a2 (client and virtual address in the client-side index,
// real server and client in the other): the attacker solves x = T ^ rotl(ports, 23) for the
// interface identifier of each port. a1 or a2 is the attacker's, `attacker_first` says which.
struct Client {
  net::RawAddr addr;
  uint16_t port;
};
std::vector<Client> FloodSet(const net::RawAddr& a1, const net::RawAddr& a2, bool attacker_first, uint16_t port1,
                             uint16_t port2) {
  const net::RawAddr& fixed = attacker_first ? a2 : a1;
  const net::RawAddr& prefix = attacker_first ? a1 : a2;
  const uint64_t a = Load64(a1, 0) * kGolden ^ Load64(a2, 0);
  std::vector<Client> out;
  for (uint32_t p = 0; p < kConns; ++p) {
    const uint16_t cport = static_cast<uint16_t>(p);
    const uint64_t ports = uint64_t{attacker_first ? cport : port1} << 32 |
                           uint64_t{attacker_first ? port2 : cport} << 16 | uint64_t{net::kProtoTcp} << 1;
    const uint64_t x = 0x0123456789abcdefull ^ std::rotl(ports, 23);
    const uint64_t w = (UnMix64(x) ^ a) - kGolden - (a << 6) - (a >> 2);
    const uint64_t low = attacker_first ? w ^ std::rotl(Load64(fixed, 1), 31) : std::rotr(w ^ Load64(fixed, 1), 31);
    out.push_back({WithLow64(prefix, low), cport});
  }
  return out;
}

// As many clients drawn at random.
std::vector<Client> RandomSet() {
  std::mt19937_64 rng(42);
  std::vector<Client> out;
  for (uint32_t i = 0; i < kConns; ++i) {
    out.push_back({WithLow64(Ip("2001:db8:1:2::").raw, rng()), static_cast<uint16_t>(rng())});
  }
  return out;
}

const net::RawAddr kVip = Ip("2001:db8:ffff::80").raw;
const net::RawAddr kRealServer = Ip("2001:db8:eeee::10").raw;
const net::RawAddr kAttackNet = Ip("2001:db8:bad:1::").raw;

// One NAT connection per client to [kVip]:80, served by [kRealServer]:8080, in a table with
// one bucket per connection; returns the longest chain of `index`.
uint32_t LongestChainOf(const std::vector<Client>& clients, ConnTable::Index index, const HashKey& key) {
  ConnTable t(kConns, key, 0, ConnTable::Entries::kOnFirstUse);
  for (const Client& c : clients) {
    ConnEntry* e = t.Allocate();
    e->af = e->daf = net::Family::kInet6;
    e->protocol = net::kProtoTcp;
    e->caddr = c.addr;
    e->cport = c.port;
    e->vaddr = kVip;
    e->vport = 80;
    e->daddr = kRealServer;
    e->dport = 8080;
    e->flags |= static_cast<uint16_t>(FwdMethod::kMasq);
    e->expires = 100;
    t.Insert(e);
  }
  return t.LongestChain(index);
}

// n balls in n bins: the fullest holds about ln n / ln ln n, 7 to 9 for 65 536; a flood that
// still worked would put thousands in one.
constexpr uint32_t kMaxChain = 12;

TEST(ConnTableHashTest, ClientSideFloodSpreadsLikeRandomClients) {
  const std::vector<Client> flood = FloodSet(WithLow64(kAttackNet, 0), kVip, true, 0, 80);
  for (int i = 0; i < 3; ++i) {
    const HashKey key = RandomHashKey();
    const uint32_t attacked = LongestChainOf(flood, ConnTable::Index::kIn, key);
    const uint32_t random = LongestChainOf(RandomSet(), ConnTable::Index::kIn, key);
    EXPECT_LE(attacked, 2 * random + 2) << "random clients " << random;
    EXPECT_LE(attacked, kMaxChain);
  }
}

TEST(ConnTableHashTest, RealServerSideFloodSpreadsLikeRandomClients) {
  const std::vector<Client> flood = FloodSet(kRealServer, WithLow64(kAttackNet, 0), false, 8080, 0);
  for (int i = 0; i < 3; ++i) {
    const HashKey key = RandomHashKey();
    const uint32_t attacked = LongestChainOf(flood, ConnTable::Index::kOut, key);
    const uint32_t random = LongestChainOf(RandomSet(), ConnTable::Index::kOut, key);
    EXPECT_LE(attacked, 2 * random + 2) << "random clients " << random;
    EXPECT_LE(attacked, kMaxChain);
  }
}

// The templates of a persistent service (netmask /128): one per client address, in the
// shared table of one template per kConnsPerTemplate connections.
TEST(ConnTableHashTest, TemplatesOfFloodingClientsSpread) {
  const std::vector<Client> flood = FloodSet(WithLow64(kAttackNet, 0), kVip, true, 0, 80);
  TemplateTable templates(kConns, RandomHashKey(), 0);
  std::lock_guard lock(templates.mutex());
  ConnTable& t = templates.table();
  for (uint32_t i = 0; i < t.capacity(); ++i) {
    ConnEntry* e = t.Allocate();
    e->af = e->daf = net::Family::kInet6;
    e->protocol = net::kProtoTcp;
    e->caddr = flood[i].addr;
    e->vaddr = kVip;
    e->vport = 80;
    e->flags |= kConnTemplate;
    e->expires = 100;
    t.Insert(e);
  }
  EXPECT_EQ(t.templates(), t.capacity());
  EXPECT_LE(t.LongestChain(ConnTable::Index::kIn), kMaxChain);
}

}  // namespace
}  // namespace ipvsd::core
