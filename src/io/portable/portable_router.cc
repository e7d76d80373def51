// File: io/portable/portable_router.cc
//
// Frame formats: ARP over Ethernet for IPv4 (RFC 826: 28 bytes after the Ethernet header, no
// padding: a NIC pads short frames itself), and Neighbor Solicitation / Advertisement for IPv6
// (RFC 4861 4.3/4.4: hop limit 255, a source/target link-layer address option; multicast
// solicitations go to the target's solicited-node group ff02::1:ffXX:XXXX, MAC 33:33:ff:XX:XX:XX).
#include "io/portable/portable_router.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "net/checksum.h"
#include "net/headers.h"

// The link-level address in getifaddrs: sockaddr_dl (AF_LINK) on the BSDs and macOS,
// sockaddr_ll (AF_PACKET) on Linux, the only place this file differs between them.
#if defined(AF_LINK)
#include <net/if_dl.h>
#elif defined(__linux__)
#include <netpacket/packet.h>
#endif

namespace ipvsd::io {
namespace {

constexpr uint16_t kArpRequest = 1;
constexpr uint16_t kArpReply = 2;
constexpr uint8_t kNeighborSolicitation = 135;
constexpr uint8_t kNeighborAdvertisement = 136;
constexpr uint8_t kOptSourceLinkAddr = 1;
constexpr uint8_t kOptTargetLinkAddr = 2;
constexpr uint8_t kNaSolicited = 0x40;
constexpr uint8_t kNaOverride = 0x20;
constexpr size_t kEthLen = sizeof(net::EthHdr);
constexpr size_t kIpv6Len = sizeof(net::Ipv6Hdr);
constexpr size_t kNdLen = 24;  // type, code, checksum, flags/reserved, target
constexpr uint64_t kNsPerMs = 1'000'000;

int PrefixLength(const sockaddr* mask) {
  if (!mask) return 0;
  const uint8_t* p = nullptr;
  size_t len = 0;
  if (mask->sa_family == AF_INET) {
    p = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    len = 4;
  } else if (mask->sa_family == AF_INET6) {
    p = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
    len = 16;
  }
  int bits = 0;
  for (size_t i = 0; i < len; ++i) bits += std::popcount(p[i]);
  return bits;
}

bool InPrefix(net::Family family, const net::RawAddr& addr, const net::RawAddr& prefix, int prefix_len) {
  if (family == net::Family::kInet6) return net::MaskV6(addr, prefix_len) == net::MaskV6(prefix, prefix_len);
  const uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
  return net::MaskV4(addr, mask) == net::MaskV4(prefix, mask);
}

bool IsLinkLocal6(const net::RawAddr& a) { return a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80; }

void PutEth(uint8_t* p, const net::MacAddr& dst, const net::MacAddr& src, uint16_t type) {
  auto* eth = net::HeaderAt<net::EthHdr>(p);
  eth->dst = dst;
  eth->src = src;
  eth->ethertype.set(type);
}

// The link-layer address option of type `type` in ND options [p, p + len).
bool FindLinkAddrOption(const uint8_t* p, size_t len, uint8_t type, net::MacAddr* out) {
  while (len >= 8) {
    const size_t opt_len = size_t{p[1]} * 8;
    if (opt_len == 0 || opt_len > len) return false;
    if (p[0] == type && opt_len >= 8) {
      std::memcpy(out->bytes, p + 2, 6);
      return true;
    }
    p += opt_len;
    len -= opt_len;
  }
  return false;
}

}  // namespace

Result<std::vector<LinkInfo>> ReadLinks(const std::vector<std::string>& names) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    const int err = errno;
    return MakeError(err, std::string("getifaddrs: ") + std::strerror(err));
  }
  std::vector<LinkInfo> links;
  std::vector<bool> has_mac(names.size(), false);
  for (const std::string& name : names) {
    LinkInfo l;
    l.name = name;
    l.ifindex = if_nametoindex(name.c_str());
    links.push_back(std::move(l));
  }
  for (const ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !a->ifa_name) continue;
    const auto it = std::find(names.begin(), names.end(), a->ifa_name);
    if (it == names.end()) continue;
    const size_t i = static_cast<size_t>(it - names.begin());
    LinkInfo& l = links[i];
    const int family = a->ifa_addr->sa_family;
    if (family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      l.addrs.push_back({net::IpAddr{net::RawAddr::FromBytes(reinterpret_cast<const uint8_t*>(&sin->sin_addr),
                                                             net::Family::kInet),
                                     net::Family::kInet},
                         PrefixLength(a->ifa_netmask)});
    } else if (family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      l.addrs.push_back({net::IpAddr{net::RawAddr::FromBytes(sin6->sin6_addr.s6_addr, net::Family::kInet6),
                                     net::Family::kInet6},
                         PrefixLength(a->ifa_netmask)});
#if defined(AF_LINK)
    } else if (family == AF_LINK) {
      const auto* sdl = reinterpret_cast<const sockaddr_dl*>(a->ifa_addr);
      if (sdl->sdl_alen == 6) {
        std::memcpy(l.mac.bytes, LLADDR(sdl), 6);
        has_mac[i] = true;
      }
#elif defined(__linux__)
    } else if (family == AF_PACKET) {
      const auto* sll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
      if (sll->sll_halen == 6) {
        std::memcpy(l.mac.bytes, sll->sll_addr, 6);
        has_mac[i] = true;
      }
#endif
    }
  }
  freeifaddrs(list);
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  for (size_t i = 0; i < links.size(); ++i) {
    LinkInfo& l = links[i];
    if (l.ifindex == 0) {
      if (fd >= 0) close(fd);
      return MakeError(ENODEV, "interface " + l.name + " does not exist");
    }
    if (!has_mac[i]) {
      if (fd >= 0) close(fd);
      return MakeError(EINVAL, "interface " + l.name + " has no Ethernet address");
    }
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, l.name.c_str(), IFNAMSIZ - 1);
    if (fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0) l.mtu = static_cast<uint32_t>(ifr.ifr_mtu);
  }
  if (fd >= 0) close(fd);
  return links;
}

Result<std::unique_ptr<PortableRouter>> PortableRouter::Create(std::vector<LinkInfo> links,
                                                               std::vector<StaticRoute> routes, Transmit transmit,
                                                               const Clock& clock, NeighbourTimers timers,
                                                               uint32_t seed) {
  std::unique_ptr<PortableRouter> r(new PortableRouter(std::move(links), std::move(transmit), clock, timers, seed));
  for (size_t i = 0; i < r->links_.size(); ++i) {
    for (const LinkInfo::Addr& a : r->links_[i].addrs) {
      // Link-local prefixes would match every interface's fe80::/64 alike: routes there
      // need an interface, which a destination address alone does not name.
      if (a.addr.is_v6() && IsLinkLocal6(a.addr.raw)) continue;
      r->routes_.push_back(Route{a.addr, a.prefix_len, net::IpAddr{}, i});
    }
  }
  for (const StaticRoute& s : routes) {
    const auto link = std::find_if(r->links_.begin(), r->links_.end(),
                                   [&](const LinkInfo& l) { return l.name == s.dev; });
    if (link == r->links_.end()) {
      return MakeError(EINVAL, "route " + s.ToString() + ": " + s.dev + " is not an interface ipvsd attaches to");
    }
    r->routes_.push_back(Route{s.prefix, s.prefix_len, s.via, static_cast<size_t>(link - r->links_.begin())});
  }
  return r;
}

PortableRouter::PortableRouter(std::vector<LinkInfo> links, Transmit transmit, const Clock& clock,
                               NeighbourTimers timers, uint32_t seed)
    : links_(std::move(links)), transmit_(std::move(transmit)), clock_(clock), timers_(timers), random_(seed) {}

PortableRouter::~PortableRouter() { Stop(); }

const PortableRouter::Route* PortableRouter::FindRoute(net::Family family, const net::RawAddr& dst) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (r.prefix.family != family || !InPrefix(family, dst, r.prefix.raw, r.prefix_len)) continue;
    // Equal lengths: a connected prefix before a static route, as the kernel's scope link does.
    if (!best || r.prefix_len > best->prefix_len) best = &r;
  }
  return best;
}

const LinkInfo* PortableRouter::LinkOf(uint32_t ifindex) const {
  for (const LinkInfo& l : links_) {
    if (l.ifindex == ifindex) return &l;
  }
  return nullptr;
}

bool PortableRouter::SourceAddr(const LinkInfo& link, net::Family family, const net::RawAddr& toward,
                                net::RawAddr* out) {
  const LinkInfo::Addr* global = nullptr;
  const LinkInfo::Addr* local = nullptr;
  for (const LinkInfo::Addr& a : link.addrs) {
    if (a.addr.family != family) continue;
    if (InPrefix(family, toward, a.addr.raw, a.prefix_len) && !(family == net::Family::kInet6 && IsLinkLocal6(a.addr.raw))) {
      *out = a.addr.raw;
      return true;
    }
    if (family == net::Family::kInet6 && IsLinkLocal6(a.addr.raw)) {
      if (!local) local = &a;
    } else if (!global) {
      global = &a;
    }
  }
  const LinkInfo::Addr* pick = global ? global : local;
  if (!pick) return false;
  *out = pick->addr.raw;
  return true;
}

uint64_t PortableRouter::ReachableNs() {
  // Uniform in [base / 2, 3 * base / 2), as the kernel's neigh_rand_reach_time.
  const uint64_t base = timers_.base_reachable_ms * kNsPerMs;
  return base / 2 + static_cast<uint64_t>(random_() % std::max<uint64_t>(base, 1));
}

bool PortableRouter::Lookup(net::Family family, const net::RawAddr& dst, net::NextHop* out) {
  const Route* route = FindRoute(family, dst);
  if (!route) return false;
  const LinkInfo& link = links_[route->link];
  const net::RawAddr hop = route->via.family == net::Family::kUnspec ? dst : route->via.raw;
  net::RawAddr src;
  if (!SourceAddr(link, family, hop, &src)) return false;
  const uint64_t now = clock_.NowNs();
  const Key key{family, link.ifindex, hop};
  std::lock_guard lock(mu_);
  auto [it, added] = neighbours_.try_emplace(key);
  Entry& e = it->second;
  e.used_ns = now;
  if (added || (e.state == State::kFailed && now >= e.deadline_ns)) {
    // A new resolution (or, once retrans_time after a failure, another one): Tick sends the
    // first solicitation at once.
    e.state = State::kIncomplete;
    e.probes_left = timers_.mcast_solicit;
    e.deadline_ns = now;
    wake_ = true;
    wake_cv_.notify_one();
    return false;
  }
  switch (e.state) {
    case State::kIncomplete:
    case State::kFailed:
      return false;
    case State::kStale:
      // In use again: confirm it within delay_first_probe_time, as the kernel does.
      e.state = State::kDelay;
      e.deadline_ns = now + timers_.delay_first_probe_ms * kNsPerMs;
      break;
    case State::kReachable:
    case State::kDelay:
    case State::kProbe:
      break;
  }
  out->ifindex = link.ifindex;
  out->src_mac = link.mac;
  out->dst_mac = e.mac;
  out->src_addr = src;
  out->mtu = link.mtu;
  return true;
}

uint64_t PortableRouter::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::vector<uint8_t> PortableRouter::Solicitation(const Key& key, const Entry& e, bool unicast) const {
  const LinkInfo* link = LinkOf(key.ifindex);
  net::RawAddr src;
  if (!link || !SourceAddr(*link, key.family, key.addr, &src)) return {};
  if (key.family == net::Family::kInet) {
    std::vector<uint8_t> f(kEthLen + sizeof(net::ArpHdr));
    const net::MacAddr broadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    PutEth(f.data(), unicast ? e.mac : broadcast, link->mac, net::kEtherTypeArp);
    auto* arp = net::HeaderAt<net::ArpHdr>(f.data() + kEthLen);
    arp->htype.set(1);
    arp->ptype.set(net::kEtherTypeIpv4);
    arp->hlen = 6;
    arp->plen = 4;
    arp->oper.set(kArpRequest);
    arp->sha = link->mac;
    std::memcpy(arp->spa, src.bytes.data(), 4);
    arp->tha = net::MacAddr{};
    std::memcpy(arp->tpa, key.addr.bytes.data(), 4);
    return f;
  }
  std::vector<uint8_t> f(kEthLen + kIpv6Len + kNdLen + 8);
  // The target's solicited-node multicast group, or the target itself for a unicast probe.
  net::RawAddr dst = key.addr;
  net::MacAddr dst_mac = e.mac;
  if (!unicast) {
    dst = net::RawAddr{};
    dst.bytes[0] = 0xff;
    dst.bytes[1] = 0x02;
    dst.bytes[11] = 0x01;
    dst.bytes[12] = 0xff;
    std::memcpy(&dst.bytes[13], &key.addr.bytes[13], 3);
    dst_mac = net::MacAddr{{0x33, 0x33, dst.bytes[12], dst.bytes[13], dst.bytes[14], dst.bytes[15]}};
  }
  PutEth(f.data(), dst_mac, link->mac, net::kEtherTypeIpv6);
  auto* ip6 = net::HeaderAt<net::Ipv6Hdr>(f.data() + kEthLen);
  ip6->ver_tc_flow.set(6u << 28);
  ip6->payload_len.set(static_cast<uint16_t>(kNdLen + 8));
  ip6->nexthdr = net::kProtoIcmpv6;
  ip6->hop_limit = 255;
  std::memcpy(ip6->saddr, src.bytes.data(), 16);
  std::memcpy(ip6->daddr, dst.bytes.data(), 16);
  uint8_t* icmp = f.data() + kEthLen + kIpv6Len;
  icmp[0] = kNeighborSolicitation;
  std::memcpy(icmp + 8, key.addr.bytes.data(), 16);
  icmp[kNdLen] = kOptSourceLinkAddr;
  icmp[kNdLen + 1] = 1;
  std::memcpy(icmp + kNdLen + 2, link->mac.bytes, 6);
  const uint16_t sum = net::L4Checksum(net::Family::kInet6, src, dst, net::kProtoIcmpv6, icmp, kNdLen + 8);
  net::HeaderAt<net::Be16>(icmp + 2)->set(sum);
  return f;
}

void PortableRouter::Confirm(const Key& key, const net::MacAddr& mac, bool solicited, bool override_mac) {
  auto it = neighbours_.find(key);
  // Only entries ipvsd asked for: the kernel's default (arp_accept=0) also ignores unsolicited
  // answers, and the table stays as big as the set of next hops in use.
  if (it == neighbours_.end()) return;
  Entry& e = it->second;
  const bool usable_before = e.state != State::kIncomplete && e.state != State::kFailed;
  const bool mac_changed = !(e.mac == mac);
  if (solicited) {
    if (!usable_before || override_mac) e.mac = mac;
    else if (mac_changed) return;  // a solicited answer without override keeps the known address
    e.state = State::kReachable;
    e.deadline_ns = clock_.NowNs() + ReachableNs();
    ++stats_.answers;
  } else {
    if (usable_before && (!mac_changed || !override_mac)) return;
    e.mac = mac;
    e.state = State::kStale;
  }
  if (!usable_before || mac_changed) ++generation_;
}

void PortableRouter::OnNeighbourFrame(uint32_t ifindex, std::span<const uint8_t> frame) {
  const LinkInfo* link = LinkOf(ifindex);
  if (!link || frame.size() < kEthLen) return;
  const uint16_t type = net::HeaderAt<net::EthHdr>(frame.data())->ethertype.get();
  if (type == net::kEtherTypeArp) {
    if (frame.size() < kEthLen + sizeof(net::ArpHdr)) return;
    const auto* arp = net::HeaderAt<net::ArpHdr>(frame.data() + kEthLen);
    if (arp->htype.get() != 1 || arp->ptype.get() != net::kEtherTypeIpv4 || arp->hlen != 6 || arp->plen != 4) return;
    const Key key{net::Family::kInet, ifindex, net::RawAddr::FromBytes(arp->spa, net::Family::kInet)};
    std::lock_guard lock(mu_);
    // A reply answers a solicitation (ipvsd's or the kernel's: both have the same addresses);
    // a request carries its sender's binding, unsolicited.
    if (arp->oper.get() == kArpReply) Confirm(key, arp->sha, true, true);
    else if (arp->oper.get() == kArpRequest) Confirm(key, arp->sha, false, true);
    return;
  }
  if (type != net::kEtherTypeIpv6 || frame.size() < kEthLen + kIpv6Len + kNdLen) return;
  const auto* ip6 = net::HeaderAt<net::Ipv6Hdr>(frame.data() + kEthLen);
  const size_t icmp_len = ip6->payload_len.get();
  // RFC 4861 7.1.1/7.1.2: hop limit 255 proves the sender is on the link.
  if (ip6->nexthdr != net::kProtoIcmpv6 || ip6->hop_limit != 255 || icmp_len < kNdLen ||
      kEthLen + kIpv6Len + icmp_len > frame.size()) {
    return;
  }
  const uint8_t* icmp = frame.data() + kEthLen + kIpv6Len;
  const net::RawAddr src = net::RawAddr::FromBytes(ip6->saddr, net::Family::kInet6);
  const net::RawAddr dst = net::RawAddr::FromBytes(ip6->daddr, net::Family::kInet6);
  uint32_t sum = net::ChecksumAdd(src.bytes.data(), 16);
  sum = net::ChecksumAdd(dst.bytes.data(), 16, sum);
  const uint8_t pseudo[8] = {0, 0, static_cast<uint8_t>(icmp_len >> 8), static_cast<uint8_t>(icmp_len), 0, 0, 0,
                             net::kProtoIcmpv6};
  sum = net::ChecksumAdd(pseudo, sizeof pseudo, sum);
  if (net::ChecksumFinish(net::ChecksumAdd(icmp, icmp_len, sum)) != 0) return;
  net::MacAddr mac;
  if (icmp[0] == kNeighborAdvertisement) {
    if (!FindLinkAddrOption(icmp + kNdLen, icmp_len - kNdLen, kOptTargetLinkAddr, &mac)) return;
    const Key key{net::Family::kInet6, ifindex, net::RawAddr::FromBytes(icmp + 8, net::Family::kInet6)};
    std::lock_guard lock(mu_);
    Confirm(key, mac, icmp[4] & kNaSolicited, icmp[4] & kNaOverride);
  } else if (icmp[0] == kNeighborSolicitation && !src.IsZero()) {
    if (!FindLinkAddrOption(icmp + kNdLen, icmp_len - kNdLen, kOptSourceLinkAddr, &mac)) return;
    std::lock_guard lock(mu_);
    Confirm(Key{net::Family::kInet6, ifindex, src}, mac, false, true);
  }
}

void PortableRouter::Tick() {
  std::vector<Outgoing> out;
  {
    std::lock_guard lock(mu_);
    const uint64_t now = clock_.NowNs();
    for (auto it = neighbours_.begin(); it != neighbours_.end();) {
      const Key& key = it->first;
      Entry& e = it->second;
      switch (e.state) {
        case State::kIncomplete:
        case State::kProbe:
          if (now < e.deadline_ns) break;
          if (e.probes_left == 0) {
            if (e.state == State::kProbe) ++generation_;
            e.state = State::kFailed;
            e.deadline_ns = now + timers_.retrans_ms * kNsPerMs;
            ++stats_.failed;
            break;
          }
          if (std::vector<uint8_t> f = Solicitation(key, e, e.state == State::kProbe); !f.empty()) {
            out.push_back(Outgoing{key.ifindex, std::move(f)});
            ++stats_.solicitations;
          }
          --e.probes_left;
          e.deadline_ns = now + timers_.retrans_ms * kNsPerMs;
          break;
        case State::kReachable:
          if (now >= e.deadline_ns) {
            e.state = State::kStale;
            ++generation_;
          }
          break;
        case State::kDelay:
          if (now >= e.deadline_ns) {
            e.state = State::kProbe;
            e.probes_left = timers_.ucast_solicit;
            e.deadline_ns = now;
            continue;  // the first probe goes now, in this same pass
          }
          break;
        case State::kStale:
        case State::kFailed:
          if (now - e.used_ns >= timers_.gc_stale_ms * kNsPerMs) {
            it = neighbours_.erase(it);
            continue;
          }
          break;
      }
      ++it;
    }
    wake_ = false;
  }
  for (const Outgoing& o : out) transmit_(o.ifindex, o.frame);
}

void PortableRouter::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    const auto period = std::chrono::milliseconds(std::max<uint64_t>(timers_.retrans_ms / 10, 1));
    for (;;) {
      {
        std::unique_lock lock(mu_);
        wake_cv_.wait_for(lock, period, [this] { return stop_ || wake_; });
        if (stop_) return;
      }
      Tick();
    }
  });
}

void PortableRouter::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool PortableRouter::NeighbourState(net::Family family, uint32_t ifindex, const net::RawAddr& addr, State* state,
                                    net::MacAddr* mac) const {
  std::lock_guard lock(mu_);
  auto it = neighbours_.find(Key{family, ifindex, addr});
  if (it == neighbours_.end()) return false;
  *state = it->second.state;
  *mac = it->second.mac;
  return true;
}

PortableRouter::Stats PortableRouter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace ipvsd::io
