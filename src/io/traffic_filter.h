// File: io/traffic_filter.h
//
// TrafficFilter is what a packet-I/O backend must hand to ipvsd instead of to the kernel:
// packets to a virtual service, and, for NAT, packets from a real server (its replies).
// Everything else stays the kernel's (ssh, routing protocols, ARP/ND for the VIP the
// administrator configured, as with kernel IPVS). The daemon derives it from the published
// ServiceTable and hands every new one to its backends (an XDP program's maps, an nftables
// set); io knows nothing of services.
#pragma once

#include <cstdint>
#include <vector>

#include "net/ip_addr.h"

namespace ipvsd::io {

struct L4Match {
  net::Family family = net::Family::kInet;
  uint8_t protocol = 0;  // TCP, UDP or SCTP
  net::RawAddr addr;
  uint16_t port = 0;     // host order; 0 matches every port of the address
  friend bool operator==(const L4Match&, const L4Match&) = default;
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

}  // namespace ipvsd::io
