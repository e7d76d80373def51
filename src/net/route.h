// File: net/route.h
//
// Router answers "how do I reach this address": the interface, the MAC addresses of the next
// hop, the source address to use for packets ipvsd originates (tunnel outer headers, ICMP
// errors) and the path MTU. The data plane asks it for every packet it transmits; real
// implementations (io/netlink) answer from a cache and never block, tests use StaticRouter.
#pragma once

#include <cstdint>
#include <vector>

#include "net/headers.h"
#include "net/ip_addr.h"

namespace ipvsd::net {

struct NextHop {
  uint32_t ifindex = 0;
  MacAddr src_mac{};
  MacAddr dst_mac{};
  RawAddr src_addr;    // our address on that interface, same family as the destination
  uint32_t mtu = 1500;
};

class Router {
 public:
  virtual ~Router() = default;
  // False when the destination is unreachable or its neighbour is not resolved yet (the
  // implementation starts resolution itself; the caller drops and counts the packet).
  virtual bool Lookup(Family family, const RawAddr& dst, NextHop* out) = 0;
  // Changes whenever a Lookup may answer differently than before (routes, links or
  // neighbours changed): callers that keep answers (NextHopCache) drop them then.
  virtual uint64_t generation() const = 0;
};

// A fixed table of on-link prefixes, for tests and benchmarks: the longest matching prefix
// gives the interface, source address and MTU; the neighbour's MAC comes from the exact host
// entries, else from the prefix's gateway entry.
class StaticRouter final : public Router {
 public:
  struct Route {
    IpAddr prefix;
    int prefix_len = 0;
    NextHop hop;  // dst_mac = the gateway's MAC (used when no host entry matches)
  };
  struct Neighbour {
    IpAddr addr;
    MacAddr mac;
  };
  void AddRoute(const Route& r) {
    routes_.push_back(r);
    ++generation_;
  }
  void AddNeighbour(const Neighbour& n) {
    neighbours_.push_back(n);
    ++generation_;
  }
  bool Lookup(Family family, const RawAddr& dst, NextHop* out) override;
  uint64_t generation() const override { return generation_; }

 private:
  std::vector<Route> routes_;
  std::vector<Neighbour> neighbours_;
  uint64_t generation_ = 0;
};

}  // namespace ipvsd::net
