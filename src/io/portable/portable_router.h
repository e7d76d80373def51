// File: io/portable/portable_router.h
//
// PortableRouter is the net::Router of systems without rtnetlink (the portable build, and
// --io pcap on Linux): it answers from what POSIX interfaces give plus what ipvsd learns itself.
//   - Interfaces and their addresses come from getifaddrs(3) (ReadLinks), once at start.
//   - Routes are the connected prefixes of those addresses plus a static table
//     (ipvsd --route PREFIX via NEXTHOP dev IF), longest prefix first.
//   - Neighbours are resolved by ipvsd itself: ARP requests (RFC 826) and IPv6 Neighbor
//     Solicitations (RFC 4861) leave through `transmit` (the pcap handle), and the ARP and
//     ND frames the packet I/O hands to OnNeighbourFrame answer them. The kernel's own
//     resolver never sees the packets ipvsd forwards, so it cannot be asked to do this.
//
// Each neighbour goes through the states and timers of the kernel's neighbour table
// (RFC 4861 section 7.3.2, Linux's neigh_parms): INCOMPLETE (broadcast/multicast solicitations
// every retrans_time, mcast_solicit of them) -> REACHABLE for a random time in
// [base_reachable_time / 2, 3 * base_reachable_time / 2) -> STALE (still used) -> DELAY for
// delay_first_probe_time once a worker uses it -> PROBE (unicast solicitations, ucast_solicit
// of them) -> FAILED. A solicited answer (ARP reply, NA with S set) makes an entry REACHABLE;
// an unsolicited one (a request from the neighbour, an NA without S) with another address
// updates it to STALE. Unused STALE and FAILED entries go after gc_stale_time.
//
// The router does not answer ARP or NS for the director's own addresses: they are configured
// on the system's interfaces (that is where getifaddrs finds them), so its kernel answers
// them, and it gets its copy of every request (a packet tap does not take frames away).
//
// Thread safety: Lookup (workers), OnNeighbourFrame (the worker that received the frame) and
// Tick (the background thread of Start) share one mutex. A worker asks only on a miss of its
// NextHopCache, i.e. for a new destination or after a generation change, not per packet.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "io/portable/static_route.h"
#include "net/route.h"

namespace ipvsd::io {

// An interface as getifaddrs reports it.
struct LinkInfo {
  struct Addr {
    net::IpAddr addr;
    int prefix_len = 0;
  };
  std::string name;
  uint32_t ifindex = 0;
  net::MacAddr mac{};
  uint32_t mtu = 1500;
  std::vector<Addr> addrs;
};

// Reads the named interfaces (index, MAC address, MTU, IPv4 and IPv6 addresses with their
// prefix lengths) through getifaddrs(3); an error names an interface that is missing or has
// no Ethernet address.
Result<std::vector<LinkInfo>> ReadLinks(const std::vector<std::string>& names);

// The kernel's neighbour-table defaults (ip-sysctl.rst: neigh/default/*, in milliseconds).
struct NeighbourTimers {
  uint64_t base_reachable_ms = 30000;
  uint64_t retrans_ms = 1000;
  uint64_t delay_first_probe_ms = 5000;
  uint64_t gc_stale_ms = 60000;
  int mcast_solicit = 3;
  int ucast_solicit = 3;
};

class PortableRouter final : public net::Router {
 public:
  // Sends one frame on an interface; called from Tick, never with the router's lock held.
  using Transmit = std::function<void(uint32_t ifindex, std::span<const uint8_t> frame)>;
  enum class State : uint8_t { kIncomplete, kReachable, kStale, kDelay, kProbe, kFailed };

  struct Stats {
    uint64_t solicitations = 0;  // ARP requests and Neighbor Solicitations sent
    uint64_t answers = 0;        // ARP replies and Neighbor Advertisements that confirmed an entry
    uint64_t failed = 0;         // resolutions that ran out of solicitations
  };

  // Every route's dev must be one of `links`. `seed` makes the random reachable times
  // repeatable in tests.
  static Result<std::unique_ptr<PortableRouter>> Create(std::vector<LinkInfo> links, std::vector<StaticRoute> routes,
                                                        Transmit transmit, const Clock& clock,
                                                        NeighbourTimers timers = {}, uint32_t seed = std::random_device{}());
  ~PortableRouter() override;
  PortableRouter(const PortableRouter&) = delete;
  PortableRouter& operator=(const PortableRouter&) = delete;

  // Longest-prefix match over the connected prefixes and the static routes, then the next
  // hop's neighbour entry. False when nothing matches, the interface has no address of the
  // destination's family, or the neighbour is not resolved yet (resolution then starts).
  bool Lookup(net::Family family, const net::RawAddr& dst, net::NextHop* out) override;
  // Changes when an entry becomes usable or unusable, changes its MAC address, or goes
  // STALE (so that workers ask again, which starts its re-confirmation).
  uint64_t generation() const override;

  // An ARP or ICMPv6 ND frame (Ethernet header first) received on `ifindex`.
  void OnNeighbourFrame(uint32_t ifindex, std::span<const uint8_t> frame);
  // Moves entries along their timers and sends the solicitations that are due. Start's thread
  // calls it; tests call it directly.
  void Tick();

  // Runs Tick every retrans_time / 10, and at once when a Lookup starts a resolution.
  void Start();
  void Stop();

  // The entry of a neighbour, for tests and logs; false when there is none.
  bool NeighbourState(net::Family family, uint32_t ifindex, const net::RawAddr& addr, State* state,
                      net::MacAddr* mac) const;
  Stats stats() const;

 private:
  struct Key {
    net::Family family;
    uint32_t ifindex;
    net::RawAddr addr;
    friend auto operator<=>(const Key&, const Key&) = default;
  };
  struct Entry {
    State state = State::kIncomplete;
    net::MacAddr mac{};
    uint64_t deadline_ns = 0;  // REACHABLE: until; DELAY: end; INCOMPLETE/PROBE: next solicitation
    uint64_t used_ns = 0;      // last Lookup (STALE and FAILED entries are collected after gc_stale)
    int probes_left = 0;
  };
  struct Route {
    net::IpAddr prefix;
    int prefix_len = 0;
    net::IpAddr via;  // family kUnspec: a connected prefix (the destination is the next hop)
    size_t link = 0;  // index into links_
  };
  struct Outgoing {
    uint32_t ifindex;
    std::vector<uint8_t> frame;
  };

  PortableRouter(std::vector<LinkInfo> links, Transmit transmit, const Clock& clock, NeighbourTimers timers,
                 uint32_t seed);
  const Route* FindRoute(net::Family family, const net::RawAddr& dst) const;
  const LinkInfo* LinkOf(uint32_t ifindex) const;
  // The address of `family` on `link` to speak from: one in the prefix of `toward` if any,
  // else a global one, else a link-local one; false when the link has none of that family.
  static bool SourceAddr(const LinkInfo& link, net::Family family, const net::RawAddr& toward, net::RawAddr* out);
  std::vector<uint8_t> Solicitation(const Key& key, const Entry& e, bool unicast) const;
  void Confirm(const Key& key, const net::MacAddr& mac, bool solicited, bool override_mac);
  uint64_t ReachableNs();

  const std::vector<LinkInfo> links_;
  std::vector<Route> routes_;
  const Transmit transmit_;
  const Clock& clock_;
  const NeighbourTimers timers_;

  mutable std::mutex mu_;  // guards what follows
  std::map<Key, Entry> neighbours_;
  std::minstd_rand random_;
  uint64_t generation_ = 1;
  Stats stats_;
  bool wake_ = false;

  std::condition_variable wake_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ipvsd::io
