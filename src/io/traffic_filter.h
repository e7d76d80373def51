// File: io/traffic_filter.h
//
// TrafficFilter is what a packet-I/O backend must hand to ipvsd instead of to the kernel:
// packets to a virtual service, and, for NAT, packets from a real server (its replies).
// Everything else stays the kernel's (ssh, routing protocols, ARP/ND for the VIP the
// administrator configured, as with kernel IPVS). The daemon derives it from the published
// ServiceTable and hands its backends (an XDP program's maps, an nftables set) what changed
// as a TrafficFilterChange, so that a change costs what it changes whatever the table's size;
// io knows nothing of services.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <set>
#include <vector>

#include "net/ip_addr.h"

namespace ipvsd::io {

struct L4Match {
  net::Family family = net::Family::kInet;
  uint8_t protocol = 0;  // TCP, UDP or SCTP
  net::RawAddr addr;
  uint16_t port = 0;     // host order; 0 matches every port of the address
  friend bool operator==(const L4Match&, const L4Match&) = default;
  friend bool operator<(const L4Match& a, const L4Match& b) {
    if (a.family != b.family) return a.family < b.family;
    if (a.protocol != b.protocol) return a.protocol < b.protocol;
    if (int c = std::memcmp(a.addr.bytes.data(), b.addr.bytes.data(), a.addr.bytes.size()); c != 0) return c < 0;
    return a.port < b.port;
  }
};

struct TrafficFilter {
  std::vector<L4Match> services;     // match on destination address and port
  std::vector<L4Match> nat_sources;  // match on source address and port (NAT real servers)
  // The director's own addresses. A packet from a NAT real server to one of them answers the
  // director's own traffic (a health check, an administrator's connection), not a client's:
  // kernel IPVS sees replies only on the FORWARD path, never what is delivered locally.
  std::vector<net::IpAddr> local_addrs;
  friend bool operator==(const TrafficFilter&, const TrafficFilter&) = default;
};

// What enters and what leaves each set; the director's own addresses when they changed.
struct TrafficFilterChange {
  std::vector<L4Match> add_services, remove_services;
  std::vector<L4Match> add_nat_sources, remove_nat_sources;
  std::optional<std::vector<net::IpAddr>> local_addrs;
};

// The filter a backend has applied: it turns a whole new TrafficFilter into the change that
// reaches it (SetFilter), and keeps itself current with each change (Apply).
struct AppliedFilter {
  std::set<L4Match> services;
  std::set<L4Match> nat_sources;
  std::vector<net::IpAddr> local_addrs;

  TrafficFilterChange ChangeTo(const TrafficFilter& to) const {
    TrafficFilterChange c;
    Diff(services, to.services, &c.add_services, &c.remove_services);
    Diff(nat_sources, to.nat_sources, &c.add_nat_sources, &c.remove_nat_sources);
    if (to.local_addrs != local_addrs) c.local_addrs = to.local_addrs;
    return c;
  }
  void Apply(const TrafficFilterChange& c) {
    for (const L4Match& m : c.remove_services) services.erase(m);
    services.insert(c.add_services.begin(), c.add_services.end());
    for (const L4Match& m : c.remove_nat_sources) nat_sources.erase(m);
    nat_sources.insert(c.add_nat_sources.begin(), c.add_nat_sources.end());
    if (c.local_addrs) local_addrs = *c.local_addrs;
  }

 private:
  static void Diff(const std::set<L4Match>& have, const std::vector<L4Match>& want, std::vector<L4Match>* add,
                   std::vector<L4Match>* remove) {
    std::set<L4Match> w(want.begin(), want.end());
    std::set_difference(w.begin(), w.end(), have.begin(), have.end(), std::back_inserter(*add));
    std::set_difference(have.begin(), have.end(), w.begin(), w.end(), std::back_inserter(*remove));
  }
};

}  // namespace ipvsd::io
