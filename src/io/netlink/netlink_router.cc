// File: io/netlink/netlink_router.cc
//
// The background thread keeps a mutable copy of the kernel tables (State, ordered maps:
// easy to update from notifications) and turns it into an immutable Snapshot of flat
// open-addressing hash tables after each batch of notifications. Lookup is a longest-prefix
// match done as one hash probe per prefix length present in the table (a routing table
// rarely has more than a handful of distinct lengths), then one probe for the link and one
// for the neighbour.
//
// Two kernel habits shape the code: IPv4 routes that disappear because their interface went
// down or their address was removed are flushed without RTM_DELROUTE, so such events trigger
// a re-dump of the routes; and a notification overrun (ENOBUFS) loses events, so it triggers
// a full re-dump.
#include "io/netlink/netlink_router.h"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>

#include "base/hash.h"
#include "base/log.h"

namespace ipvsd::io {
namespace {

using net::Family;
using net::MacAddr;
using net::RawAddr;

// How long a replaced snapshot stays alive: a worker holds one only for the duration of one
// Lookup (well under a microsecond), so two seconds is a margin of six orders of magnitude.
constexpr auto kGracePeriod = std::chrono::seconds(2);
// How often a destination that keeps missing is reported again.
constexpr auto kMissTagLifetime = std::chrono::seconds(1);
// The background thread's tick: the longest a queued resolution request waits.
constexpr int kPollMs = 10;
// After a failed dump, the next attempt waits this long (no busy loop, no log flood).
constexpr auto kRetryDelay = std::chrono::seconds(1);
constexpr int kSocketBuffer = 4 << 20;
constexpr size_t kRecvBuffer = 64 * 1024;
constexpr size_t kRequestBuffer = 256;  // one header, one small request header, one address
constexpr int kDumpAttempts = 5;

// Neighbour states whose link-layer address may be used, as the kernel's NUD_VALID minus
// INCOMPLETE/FAILED.
constexpr uint16_t kUsableNud = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;

constexpr std::array<RawAddr, 129> MakeMasks() {
  std::array<RawAddr, 129> masks{};
  for (int len = 0; len <= 128; ++len) {
    for (int i = 0; i < 16; ++i) {
      int bits = len - 8 * i;
      masks[static_cast<size_t>(len)].bytes[static_cast<size_t>(i)] =
          bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<uint8_t>(0xff00 >> bits);
    }
  }
  return masks;
}
constexpr std::array<RawAddr, 129> kMasks = MakeMasks();

// The first len bits of a (IPv4 addresses sit in the first four bytes, so one table serves
// both families).
RawAddr Mask(const RawAddr& a, uint8_t len) {
  const RawAddr& m = kMasks[len];
  uint64_t a0, a1, m0, m1;
  std::memcpy(&a0, a.bytes.data(), 8);
  std::memcpy(&a1, a.bytes.data() + 8, 8);
  std::memcpy(&m0, m.bytes.data(), 8);
  std::memcpy(&m1, m.bytes.data() + 8, 8);
  a0 &= m0;
  a1 &= m1;
  RawAddr out;
  std::memcpy(out.bytes.data(), &a0, 8);
  std::memcpy(out.bytes.data() + 8, &a1, 8);
  return out;
}

uint64_t HashAddr(const RawAddr& a, uint64_t seed) {
  uint64_t a0, a1;
  std::memcpy(&a0, a.bytes.data(), 8);
  std::memcpy(&a1, a.bytes.data() + 8, 8);
  return HashCombine(HashCombine(seed, a0), a1);
}

struct IfKey {
  uint32_t ifindex = 0;
  uint64_t Hash() const { return Mix64(ifindex); }
  friend bool operator==(const IfKey&, const IfKey&) = default;
};

struct RouteKey {
  RawAddr prefix;
  Family family = Family::kInet;
  uint8_t len = 0;
  uint64_t Hash() const { return HashAddr(prefix, (uint64_t{static_cast<uint8_t>(family)} << 8) | len); }
  friend bool operator==(const RouteKey&, const RouteKey&) = default;
};

struct NeighKey {
  RawAddr addr;
  uint32_t ifindex = 0;
  Family family = Family::kInet;
  uint64_t Hash() const { return HashAddr(addr, (uint64_t{ifindex} << 8) | static_cast<uint8_t>(family)); }
  friend bool operator==(const NeighKey&, const NeighKey&) = default;
  friend auto operator<=>(const NeighKey&, const NeighKey&) = default;
};

// An open-addressing hash table with linear probing, filled once by the background thread
// and then only read. At most half full, so probes stay short and always terminate.
template <typename Key, typename Value>
class FlatMap {
 public:
  explicit FlatMap(size_t entries = 0) {
    size_t capacity = 8;
    while (capacity < 2 * entries) capacity <<= 1;
    slots_.resize(capacity);
    mask_ = capacity - 1;
  }
  // Build time only; never more than the `entries` given to the constructor. Returns the
  // slot index; *inserted says whether the key was new.
  size_t Emplace(const Key& key, bool* inserted) {
    for (size_t i = key.Hash() & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.used = true;
        s.key = key;
        *inserted = true;
        return i;
      }
      if (s.key == key) {
        *inserted = false;
        return i;
      }
    }
  }
  // The slot index of key, or -1.
  ptrdiff_t Find(const Key& key) const {
    for (size_t i = key.Hash() & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.used) return -1;
      if (s.key == key) return static_cast<ptrdiff_t>(i);
    }
  }
  Value& at(size_t i) { return slots_[i].value; }
  const Value& at(size_t i) const { return slots_[i].value; }
  size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    Key key{};
    Value value{};
    bool used = false;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace

struct NetlinkRouter::Snapshot {
  struct Link {
    MacAddr mac{};
    bool has_mac = false;
    bool up = false;
    uint32_t mtu = 1500;
    RawAddr src4;
    RawAddr src6;
  };
  struct Route {
    uint32_t oif = 0;
    RawAddr gateway;
    bool has_gateway = false;
    RawAddr prefsrc;
    bool has_prefsrc = false;
    uint32_t mtu = 0;     // the route's mtu metric; 0 = the link's
    bool reject = false;  // blackhole, unreachable, prohibit, throw
  };
  struct Neigh {
    MacAddr mac{};
    uint16_t state = 0;
  };

  FlatMap<IfKey, Link> links;
  FlatMap<RouteKey, Route> routes;
  std::array<std::vector<uint8_t>, 2> lengths;  // prefix lengths present, longest first: [v4, v6]
  FlatMap<NeighKey, Neigh> neighs;
  // One flag per neighbour slot: a STALE entry was already handed to the kernel for
  // re-confirmation (the only thing workers write, once per entry per snapshot).
  std::unique_ptr<std::atomic<uint8_t>[]> stale_kicked;
};

struct NetlinkRouter::State {
  struct LinkState {
    MacAddr mac{};
    bool has_mac = false;
    uint32_t mtu = 1500;
    uint32_t flags = 0;
    friend bool operator==(const LinkState&, const LinkState&) = default;
  };
  struct AddrState {
    uint32_t ifindex = 0;
    Family family = Family::kInet;
    RawAddr addr;
    uint8_t scope = 0;
    uint32_t flags = 0;
  };
  struct RouteId {
    Family family = Family::kInet;
    RawAddr dst;
    uint8_t len = 0;
    uint32_t priority = 0;  // lower wins, so it orders right after the prefix
    uint8_t tos = 0;
    uint32_t oif = 0;
    RawAddr gateway;
    friend auto operator<=>(const RouteId&, const RouteId&) = default;
  };
  struct NeighState {
    MacAddr mac{};
    uint16_t state = 0;
    friend bool operator==(const NeighState&, const NeighState&) = default;
  };

  ~State() {
    if (events) mnl_socket_close(events);
    if (requests) mnl_socket_close(requests);
  }

  mnl_socket* events = nullptr;    // subscribed to change notifications
  mnl_socket* requests = nullptr;  // dumps and resolution requests
  uint32_t seq = 0;
  std::vector<char> buf = std::vector<char>(kRecvBuffer);

  std::map<uint32_t, LinkState> links;
  std::vector<AddrState> addrs;  // kernel order: the first of a family is the primary
  std::map<RouteId, Snapshot::Route> routes;
  std::map<NeighKey, NeighState> neighs;

  bool dirty = false;
  bool need_full_resync = false;
  bool need_route_resync = false;
  std::chrono::steady_clock::time_point retry_at{};
};

namespace {

using State = NetlinkRouter::State;
using Snapshot = NetlinkRouter::Snapshot;

std::string ErrnoText(int err) { return std::strerror(err); }

bool FamilyOf(uint8_t af, Family* out) {
  if (af == AF_INET) *out = Family::kInet;
  else if (af == AF_INET6) *out = Family::kInet6;
  else return false;
  return true;
}

bool AddrAttr(const nlattr* a, Family f, RawAddr* out) {
  if (mnl_attr_get_payload_len(a) != static_cast<uint16_t>(net::AddrLength(f))) return false;
  *out = RawAddr::FromBytes(static_cast<const uint8_t*>(mnl_attr_get_payload(a)), f);
  return true;
}

template <typename F>
void ForEachAttr(const nlmsghdr* nlh, size_t header_len, F&& f) {
  const auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, header_len));
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  while (mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)))) {
    f(a);
    a = mnl_attr_next(a);
  }
}

template <typename F>
void ForEachNested(const nlattr* nest, F&& f) {
  const auto* a = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
  const char* end = static_cast<const char*>(mnl_attr_get_payload(nest)) + mnl_attr_get_payload_len(nest);
  while (mnl_attr_ok(a, static_cast<int>(end - reinterpret_cast<const char*>(a)))) {
    f(a);
    a = mnl_attr_next(a);
  }
}

void ApplyLink(State& st, const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  // Bridge-port messages (AF_BRIDGE) describe the same link in another role.
  if (ifi->ifi_family != AF_UNSPEC) return;
  const uint32_t ifindex = static_cast<uint32_t>(ifi->ifi_index);
  if (nlh->nlmsg_type == RTM_DELLINK) {
    if (st.links.erase(ifindex)) {
      st.dirty = true;
      st.need_route_resync = true;
    }
    return;
  }
  State::LinkState link;
  link.flags = ifi->ifi_flags;
  ForEachAttr(nlh, sizeof(ifinfomsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case IFLA_ADDRESS:
        if (mnl_attr_get_payload_len(a) == sizeof(MacAddr)) {
          std::memcpy(link.mac.bytes, mnl_attr_get_payload(a), sizeof(MacAddr));
          link.has_mac = true;
        }
        break;
      case IFLA_MTU:
        if (mnl_attr_get_payload_len(a) == sizeof(uint32_t)) link.mtu = mnl_attr_get_u32(a);
        break;
      default:
        break;
    }
  });
  if (ifi->ifi_flags & IFF_NOARP) link.has_mac = false;  // no Ethernet neighbours to reach
  auto [it, inserted] = st.links.try_emplace(ifindex, link);
  if (!inserted) {
    if (it->second == link) return;
    if ((it->second.flags ^ link.flags) & IFF_UP) st.need_route_resync = true;
    it->second = link;
  }
  st.dirty = true;
}

void ApplyAddr(State& st, const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  State::AddrState addr;
  if (!FamilyOf(ifa->ifa_family, &addr.family)) return;
  addr.ifindex = ifa->ifa_index;
  addr.scope = ifa->ifa_scope;
  addr.flags = ifa->ifa_flags;
  bool has_local = false, has_address = false;
  RawAddr local, address;
  ForEachAttr(nlh, sizeof(ifaddrmsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case IFA_LOCAL:
        has_local = AddrAttr(a, addr.family, &local);
        break;
      case IFA_ADDRESS:
        has_address = AddrAttr(a, addr.family, &address);
        break;
      case IFA_FLAGS:
        if (mnl_attr_get_payload_len(a) == sizeof(uint32_t)) addr.flags = mnl_attr_get_u32(a);
        break;
      default:
        break;
    }
  });
  // On point-to-point IPv4 links IFA_ADDRESS is the peer; IFA_LOCAL is always ours.
  if (!has_local && !has_address) return;
  addr.addr = has_local ? local : address;
  auto it = std::find_if(st.addrs.begin(), st.addrs.end(), [&](const State::AddrState& a) {
    return a.ifindex == addr.ifindex && a.family == addr.family && a.addr == addr.addr;
  });
  if (nlh->nlmsg_type == RTM_DELADDR) {
    if (it == st.addrs.end()) return;
    st.addrs.erase(it);
    st.need_route_resync = true;  // its prefix route goes silently
  } else if (it != st.addrs.end()) {
    if (it->scope == addr.scope && it->flags == addr.flags) return;
    *it = addr;
  } else {
    st.addrs.push_back(addr);
  }
  st.dirty = true;
}

void ApplyRoute(State& st, const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return;
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  State::RouteId id;
  if (!FamilyOf(rtm->rtm_family, &id.family)) return;
  if (rtm->rtm_flags & RTM_F_CLONED) return;  // IPv6 route-cache clones, not routes
  uint32_t table = rtm->rtm_table;
  Snapshot::Route route;
  switch (rtm->rtm_type) {
    case RTN_UNICAST:
      break;
    case RTN_BLACKHOLE:
    case RTN_UNREACHABLE:
    case RTN_PROHIBIT:
    case RTN_THROW:
      route.reject = true;
      break;
    default:
      return;  // local, broadcast, multicast, anycast: not a way out
  }
  id.len = rtm->rtm_dst_len;
  id.tos = rtm->rtm_tos;
  if (id.len > (id.family == Family::kInet6 ? 128 : 32)) return;
  ForEachAttr(nlh, sizeof(rtmsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case RTA_TABLE:
        if (mnl_attr_get_payload_len(a) == sizeof(uint32_t)) table = mnl_attr_get_u32(a);
        break;
      case RTA_DST:
        AddrAttr(a, id.family, &id.dst);
        break;
      case RTA_OIF:
        if (mnl_attr_get_payload_len(a) == sizeof(uint32_t)) route.oif = mnl_attr_get_u32(a);
        break;
      case RTA_GATEWAY:
        route.has_gateway = AddrAttr(a, id.family, &route.gateway);
        break;
      case RTA_PREFSRC:
        route.has_prefsrc = AddrAttr(a, id.family, &route.prefsrc);
        break;
      case RTA_PRIORITY:
        if (mnl_attr_get_payload_len(a) == sizeof(uint32_t)) id.priority = mnl_attr_get_u32(a);
        break;
      case RTA_METRICS:
        ForEachNested(a, [&](const nlattr* m) {
          if (mnl_attr_get_type(m) == RTAX_MTU && mnl_attr_get_payload_len(m) == sizeof(uint32_t)) {
            route.mtu = mnl_attr_get_u32(m);
          }
        });
        break;
      case RTA_MULTIPATH: {
        // Multipath: the first next hop (ipvsd does not spread one flow over paths anyway).
        if (route.oif || mnl_attr_get_payload_len(a) < sizeof(rtnexthop)) break;
        const auto* nh = static_cast<const rtnexthop*>(mnl_attr_get_payload(a));
        if (nh->rtnh_len < sizeof(rtnexthop) || nh->rtnh_len > mnl_attr_get_payload_len(a)) break;
        route.oif = static_cast<uint32_t>(nh->rtnh_ifindex);
        const auto* na = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(nh) + RTNH_LENGTH(0));
        int remaining = static_cast<int>(nh->rtnh_len - RTNH_LENGTH(0));
        while (mnl_attr_ok(na, remaining)) {
          if (mnl_attr_get_type(na) == RTA_GATEWAY) route.has_gateway = AddrAttr(na, id.family, &route.gateway);
          remaining -= static_cast<int>(MNL_ALIGN(na->nla_len));
          na = mnl_attr_next(na);
        }
        break;
      }
      default:
        break;
    }
  });
  if (table != RT_TABLE_MAIN) return;
  id.dst = Mask(id.dst, id.len);
  id.oif = route.oif;
  id.gateway = route.gateway;
  if (nlh->nlmsg_type == RTM_DELROUTE) {
    if (st.routes.erase(id)) st.dirty = true;
    return;
  }
  if (!route.reject && route.oif == 0) return;  // nexthop objects: not supported, not guessed
  st.routes[id] = route;
  st.dirty = true;
}

void ApplyNeigh(State& st, const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ndmsg))) return;
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  NeighKey key;
  if (!FamilyOf(ndm->ndm_family, &key.family)) return;  // AF_BRIDGE fdb entries
  key.ifindex = static_cast<uint32_t>(ndm->ndm_ifindex);
  State::NeighState n;
  n.state = ndm->ndm_state;
  bool has_dst = false, has_mac = false;
  ForEachAttr(nlh, sizeof(ndmsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case NDA_DST:
        has_dst = AddrAttr(a, key.family, &key.addr);
        break;
      case NDA_LLADDR:
        if (mnl_attr_get_payload_len(a) == sizeof(MacAddr)) {
          std::memcpy(n.mac.bytes, mnl_attr_get_payload(a), sizeof(MacAddr));
          has_mac = true;
        }
        break;
      default:
        break;
    }
  });
  if (!has_dst) return;
  if (nlh->nlmsg_type == RTM_DELNEIGH) {
    if (st.neighs.erase(key)) st.dirty = true;
    return;
  }
  // Without a link-layer address an entry is only "being resolved": keep the state, so
  // that Lookup knows not to use it.
  if (!has_mac) n.state &= static_cast<uint16_t>(~kUsableNud);
  auto [it, inserted] = st.neighs.try_emplace(key, n);
  if (!inserted) {
    if (it->second == n) return;
    it->second = n;
  }
  st.dirty = true;
}

int OnMessage(const nlmsghdr* nlh, void* data) {
  State& st = *static_cast<State*>(data);
  switch (nlh->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      ApplyLink(st, nlh);
      break;
    case RTM_NEWADDR:
    case RTM_DELADDR:
      ApplyAddr(st, nlh);
      break;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      ApplyRoute(st, nlh);
      break;
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH:
      ApplyNeigh(st, nlh);
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

const char* DumpName(uint16_t type) {
  switch (type) {
    case RTM_GETLINK: return "links";
    case RTM_GETADDR: return "addresses";
    case RTM_GETROUTE: return "routes";
    default: return "neighbours";
  }
}

// One dump request answered into State; retried when the kernel reports that the table
// changed under it (NLM_F_DUMP_INTR, which libmnl turns into EINTR).
Status Dump(State& st, uint16_t type, uint8_t family) {
  size_t header_len = type == RTM_GETLINK ? sizeof(ifinfomsg)
                      : type == RTM_GETADDR ? sizeof(ifaddrmsg)
                      : type == RTM_GETROUTE ? sizeof(rtmsg)
                                             : sizeof(ndmsg);
  int err = 0;
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    alignas(nlmsghdr) char req[kRequestBuffer];
    nlmsghdr* nlh = mnl_nlmsg_put_header(req);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++st.seq;
    // Every rtnetlink request header starts with its address family byte.
    auto* hdr = static_cast<uint8_t*>(mnl_nlmsg_put_extra_header(nlh, header_len));
    hdr[0] = family;
    if (mnl_socket_sendto(st.requests, nlh, nlh->nlmsg_len) < 0) {
      return MakeError(errno, std::string("netlink router: sending the ") + DumpName(type) +
                                  " dump request: " + ErrnoText(errno));
    }
    const uint32_t portid = mnl_socket_get_portid(st.requests);
    int ret;
    do {
      ssize_t n = mnl_socket_recvfrom(st.requests, st.buf.data(), st.buf.size());
      if (n < 0) {
        ret = -1;
        break;
      }
      ret = mnl_cb_run(st.buf.data(), static_cast<size_t>(n), nlh->nlmsg_seq, portid, OnMessage, &st);
    } while (ret > MNL_CB_STOP);
    if (ret >= 0) return Ok();
    err = errno;
    if (err != EINTR) break;
    // An interrupted dump still ends with NLMSG_DONE, which mnl_cb_run stopped before
    // reading only if it was in a later datagram: drain what is left of this sequence.
    while (true) {
      ssize_t n = recv(mnl_socket_get_fd(st.requests), st.buf.data(), st.buf.size(), MSG_DONTWAIT);
      if (n <= 0) break;
    }
  }
  return MakeError(err, std::string("netlink router: dumping ") + DumpName(type) + ": " + ErrnoText(err));
}

Status DumpRoutes(State& st) {
  st.routes.clear();
  st.dirty = true;
  if (Status s = Dump(st, RTM_GETROUTE, AF_INET); !s) return s;
  return Dump(st, RTM_GETROUTE, AF_INET6);
}

Status DumpAll(State& st) {
  st.links.clear();
  st.addrs.clear();
  st.neighs.clear();
  st.dirty = true;
  if (Status s = Dump(st, RTM_GETLINK, AF_UNSPEC); !s) return s;
  if (Status s = Dump(st, RTM_GETADDR, AF_UNSPEC); !s) return s;
  if (Status s = DumpRoutes(st); !s) return s;
  return Dump(st, RTM_GETNEIGH, AF_UNSPEC);
}

// Reads every pending notification; an overrun means lost events, hence a full re-dump.
void DrainEvents(State& st) {
  while (true) {
    ssize_t n = mnl_socket_recvfrom(st.events, st.buf.data(), st.buf.size());
    if (n < 0) {
      if (errno == ENOBUFS) {
        st.need_full_resync = true;
        continue;
      }
      return;  // EAGAIN: drained
    }
    mnl_cb_run(st.buf.data(), static_cast<size_t>(n), 0, 0, OnMessage, &st);
  }
}

// The source address a packet to this interface should carry: the first IPv4 address (the
// primary), and for IPv6 the first usable global one, else a link-local one.
void PickSources(const State& st, uint32_t ifindex, Snapshot::Link* link) {
  bool has4 = false, has6 = false, global6 = false;
  for (const State::AddrState& a : st.addrs) {
    if (a.ifindex != ifindex) continue;
    if (a.family == Family::kInet) {
      if (!has4) link->src4 = a.addr;
      has4 = true;
      continue;
    }
    if (a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) continue;
    const bool global = a.scope == RT_SCOPE_UNIVERSE;
    if (!has6 || (global && !global6)) {
      link->src6 = a.addr;
      has6 = true;
      global6 = global;
    }
  }
}

std::unique_ptr<Snapshot> BuildSnapshot(const State& st) {
  auto s = std::make_unique<Snapshot>();
  s->links = FlatMap<IfKey, Snapshot::Link>(st.links.size());
  for (const auto& [ifindex, l] : st.links) {
    bool inserted;
    Snapshot::Link& link = s->links.at(s->links.Emplace(IfKey{ifindex}, &inserted));
    link.mac = l.mac;
    link.has_mac = l.has_mac;
    link.up = (l.flags & IFF_UP) != 0;
    link.mtu = l.mtu;
    PickSources(st, ifindex, &link);
  }
  s->routes = FlatMap<RouteKey, Snapshot::Route>(st.routes.size());
  std::array<std::array<bool, 129>, 2> seen{};
  // Ordered by prefix, then priority: the first route of a prefix is the one the kernel uses.
  for (const auto& [id, route] : st.routes) {
    if (!route.reject) {
      auto link = st.links.find(route.oif);
      if (link == st.links.end() || !(link->second.flags & IFF_UP)) continue;
    }
    bool inserted;
    size_t slot = s->routes.Emplace(RouteKey{id.dst, id.family, id.len}, &inserted);
    if (inserted) s->routes.at(slot) = route;
    seen[id.family == Family::kInet6][id.len] = true;
  }
  for (size_t v6 = 0; v6 < 2; ++v6) {
    for (int len = 128; len >= 0; --len) {
      if (seen[v6][static_cast<size_t>(len)]) s->lengths[v6].push_back(static_cast<uint8_t>(len));
    }
  }
  s->neighs = FlatMap<NeighKey, Snapshot::Neigh>(st.neighs.size());
  for (const auto& [key, n] : st.neighs) {
    bool inserted;
    Snapshot::Neigh& neigh = s->neighs.at(s->neighs.Emplace(key, &inserted));
    neigh.mac = n.mac;
    neigh.state = n.state;
  }
  s->stale_kicked = std::make_unique<std::atomic<uint8_t>[]>(s->neighs.capacity());
  return s;
}

mnl_socket* OpenSocket(const char* role, Status* status) {
  mnl_socket* nl = mnl_socket_open(NETLINK_ROUTE);
  if (!nl) {
    *status = MakeError(errno, std::string("netlink router: opening the ") + role + " socket: " + ErrnoText(errno));
    return nullptr;
  }
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    *status = MakeError(errno, std::string("netlink router: binding the ") + role + " socket: " + ErrnoText(errno));
    mnl_socket_close(nl);
    return nullptr;
  }
  return nl;
}

}  // namespace

NetlinkRouter::NetlinkRouter() : state_(std::make_unique<State>()) {}

Result<std::unique_ptr<NetlinkRouter>> NetlinkRouter::Open() {
  std::unique_ptr<NetlinkRouter> router(new NetlinkRouter());
  if (Status s = router->Init(); !s) return s.error();
  return Result<std::unique_ptr<NetlinkRouter>>(std::move(router));
}

Status NetlinkRouter::Init() {
  State& st = *state_;
  Status status;
  st.events = OpenSocket("notification", &status);
  if (!st.events) return status;
  st.requests = OpenSocket("request", &status);
  if (!st.requests) return status;
  const int fd = mnl_socket_get_fd(st.events);
  // A burst of neighbour or route changes must not overrun the notification queue; the
  // forced size needs CAP_NET_ADMIN, the plain one is the fallback.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
  }
  for (int group : {RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
                    RTNLGRP_IPV6_ROUTE}) {
    if (mnl_socket_setsockopt(st.events, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
      return MakeError(errno, "netlink router: subscribing to rtnetlink group " + std::to_string(group) + ": " +
                                  ErrnoText(errno));
    }
  }
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
    return MakeError(errno, "netlink router: making the notification socket non-blocking: " + ErrnoText(errno));
  }
  // Subscribed before dumping, so that no change falls between the dump and the first event.
  if (Status s = DumpAll(st); !s) return s;
  Publish();
  thread_ = std::thread([this] { Run(); });
  return Ok();
}

NetlinkRouter::~NetlinkRouter() {
  Stop();
  delete current_.exchange(nullptr, std::memory_order_acq_rel);
  ReclaimRetired(true);
}

void NetlinkRouter::Stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

NetlinkRouter::Stats NetlinkRouter::stats() const {
  return Stats{snapshots_.load(std::memory_order_relaxed), resolve_requests_.load(std::memory_order_relaxed),
               resolve_errors_.load(std::memory_order_relaxed), resyncs_.load(std::memory_order_relaxed)};
}

bool NetlinkRouter::Lookup(net::Family family, const net::RawAddr& dst, net::NextHop* out) {
  const Snapshot* s = current_.load(std::memory_order_acquire);
  if (!s || (family != Family::kInet && family != Family::kInet6)) return false;
  const bool v6 = family == Family::kInet6;
  ptrdiff_t route_slot = -1;
  for (uint8_t len : s->lengths[v6]) {
    route_slot = s->routes.Find(RouteKey{Mask(dst, len), family, len});
    if (route_slot >= 0) break;
  }
  if (route_slot < 0) return false;
  const Snapshot::Route& route = s->routes.at(static_cast<size_t>(route_slot));
  if (route.reject) return false;
  ptrdiff_t link_slot = s->links.Find(IfKey{route.oif});
  if (link_slot < 0) return false;
  const Snapshot::Link& link = s->links.at(static_cast<size_t>(link_slot));
  if (!link.up || !link.has_mac) return false;
  const RawAddr& next = route.has_gateway ? route.gateway : dst;
  ptrdiff_t neigh_slot = s->neighs.Find(NeighKey{next, route.oif, family});
  if (neigh_slot < 0) {
    RequestResolve(family, route.oif, next, true);
    return false;
  }
  const Snapshot::Neigh& neigh = s->neighs.at(static_cast<size_t>(neigh_slot));
  if (!(neigh.state & kUsableNud)) {
    RequestResolve(family, route.oif, next, true);
    return false;
  }
  if (neigh.state & NUD_STALE) {
    // The kernel re-confirms a STALE neighbour when it sends through it; ipvsd's packets
    // bypass it, so ask once per entry and snapshot (the confirmed entry comes back as a new
    // snapshot with fresh flags).
    std::atomic<uint8_t>& kicked = s->stale_kicked[static_cast<size_t>(neigh_slot)];
    if (!kicked.load(std::memory_order_relaxed) && !kicked.exchange(1, std::memory_order_relaxed)) {
      RequestResolve(family, route.oif, next, false);
    }
  }
  out->ifindex = route.oif;
  out->src_mac = link.mac;
  out->dst_mac = neigh.mac;
  out->src_addr = route.has_prefsrc ? route.prefsrc : v6 ? link.src6 : link.src4;
  out->mtu = route.mtu ? route.mtu : link.mtu;
  return true;
}

void NetlinkRouter::RequestResolve(net::Family family, uint32_t ifindex, const net::RawAddr& addr, bool dedup) {
  std::atomic<uint64_t>* tag_slot = nullptr;
  uint64_t tag = 0;
  if (dedup) {
    tag = HashAddr(addr, (uint64_t{ifindex} << 8) | static_cast<uint8_t>(family)) | 1;
    tag_slot = &miss_tags_[tag % kMissTags];
    if (tag_slot->load(std::memory_order_relaxed) == tag) return;
    tag_slot->store(tag, std::memory_order_relaxed);
  }
  std::unique_lock lock(resolve_mu_, std::try_to_lock);
  if (lock.owns_lock() && resolve_count_ < kResolveQueueSize) {
    resolve_queue_[resolve_count_++] = ResolveRequest{family, ifindex, addr};
    return;
  }
  // Lost: let the next packet to this address try again.
  if (tag_slot) tag_slot->store(0, std::memory_order_relaxed);
}

void NetlinkRouter::ServeResolveRequests() {
  std::array<ResolveRequest, kResolveQueueSize> batch;
  size_t n = 0;
  {
    // try_lock on this side too: a worker's unlock then never has a waiter to wake, so the
    // worker never makes a futex system call.
    std::unique_lock lock(resolve_mu_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    n = resolve_count_;
    std::copy_n(resolve_queue_.begin(), n, batch.begin());
    resolve_count_ = 0;
  }
  State& st = *state_;
  for (size_t i = 0; i < n; ++i) {
    const ResolveRequest& r = batch[i];
    alignas(nlmsghdr) char req[kRequestBuffer];
    nlmsghdr* nlh = mnl_nlmsg_put_header(req);
    nlh->nlmsg_type = RTM_NEWNEIGH;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK;
    nlh->nlmsg_seq = ++st.seq;
    auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
    ndm->ndm_family = r.family == Family::kInet6 ? AF_INET6 : AF_INET;
    ndm->ndm_ifindex = static_cast<int>(r.ifindex);
    // With NTF_USE the kernel ignores the state and runs neigh_event_send(), i.e. what it
    // does for a packet of its own: NONE/FAILED start solicitation, STALE goes to DELAY.
    // NUD_NONE (not PERMANENT, as `ip neigh ... use` sends) keeps the entry collectable.
    ndm->ndm_state = NUD_NONE;
    ndm->ndm_flags = NTF_USE;
    mnl_attr_put(nlh, NDA_DST, static_cast<size_t>(net::AddrLength(r.family)), r.addr.bytes.data());
    resolve_requests_.fetch_add(1, std::memory_order_relaxed);
    bool ok = mnl_socket_sendto(st.requests, nlh, nlh->nlmsg_len) >= 0;
    if (ok) {
      // The kernel handles the request inside sendmsg, so its acknowledgement is queued.
      ssize_t got = mnl_socket_recvfrom(st.requests, st.buf.data(), st.buf.size());
      ok = got >= 0 && mnl_cb_run(st.buf.data(), static_cast<size_t>(got), nlh->nlmsg_seq,
                                  mnl_socket_get_portid(st.requests), nullptr, nullptr) >= 0;
    }
    if (!ok) {
      resolve_errors_.fetch_add(1, std::memory_order_relaxed);
      Log(LogLevel::kDebug, "netlink router: resolution request for ifindex %u refused: %s", r.ifindex,
          std::strerror(errno));
    }
  }
}

void NetlinkRouter::Publish() {
  std::unique_ptr<Snapshot> next = BuildSnapshot(*state_);
  state_->dirty = false;
  const Snapshot* old = current_.exchange(next.release(), std::memory_order_acq_rel);
  if (old) retired_.push_back(Retired{std::unique_ptr<const Snapshot>(old), std::chrono::steady_clock::now()});
  snapshots_.fetch_add(1, std::memory_order_release);
}

void NetlinkRouter::ReclaimRetired(bool all) {
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(retired_, [&](const Retired& r) { return all || now - r.at >= kGracePeriod; });
}

void NetlinkRouter::Run() {
  State& st = *state_;
  auto next_tag_clear = std::chrono::steady_clock::now() + kMissTagLifetime;
  while (!stop_.load(std::memory_order_acquire)) {
    pollfd pfd{mnl_socket_get_fd(st.events), POLLIN, 0};
    if (poll(&pfd, 1, kPollMs) > 0) DrainEvents(st);
    const auto now = std::chrono::steady_clock::now();
    if ((st.need_full_resync || st.need_route_resync) && now >= st.retry_at) {
      const bool full = st.need_full_resync;
      st.need_full_resync = st.need_route_resync = false;
      resyncs_.fetch_add(1, std::memory_order_relaxed);
      if (Status s = full ? DumpAll(st) : DumpRoutes(st); !s) {
        Log(LogLevel::kWarning, "%s (retrying in 1 s)", s.error().message.c_str());
        st.need_full_resync = full;
        st.need_route_resync = !full;
        st.retry_at = now + kRetryDelay;
      }
    }
    ServeResolveRequests();
    // A failed re-dump left the tables half filled: keep serving the last good snapshot.
    if (st.dirty && !st.need_full_resync && !st.need_route_resync) Publish();
    if (now >= next_tag_clear) {
      for (std::atomic<uint64_t>& t : miss_tags_) t.store(0, std::memory_order_relaxed);
      next_tag_clear = now + kMissTagLifetime;
    }
    ReclaimRetired(false);
  }
}

}  // namespace ipvsd::io
