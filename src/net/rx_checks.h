// File: net/rx_checks.h
//
// The checks the kernel makes on every received IP packet before IPVS (or anything else)
// sees it, which a user-space director must make itself since it takes the frames first:
//   1. IPv4 header checksum (ip_rcv_core: ip_fast_csum over the header, else drop). Only
//      the outer header: the kernel never checks the header quoted in an ICMP error, and a
//      router's quote of a packet it damaged is still worth relaying.
//   2. Martian addresses, i.e. sources no packet can come from and destinations no packet may
//      be received for:
//      IPv4, as ip_route_input_slow and ip_mc_validate_source (net/ipv4/route.c) judge them
//      with route_localnet off:
//        - source multicast (224/4) or limited broadcast: always martian;
//        - source loopback (127/8): martian;
//        - source "this network" (0/8): martian, except towards the limited broadcast
//          (a DHCP client, brd_input) or, from 0.0.0.0, towards link-local multicast
//          224.0.0.0/24 or with IGMP (a querier or a host still without an address);
//        - source class E (240/4): martian. Linux has accepted it since it allowed class E
//          addresses on interfaces, but 240/4 is reserved (RFC 6890: not forwardable), so
//          a packet from it reaching a load balancer is forged; ipvsd is stricter here;
//        - destination 0/8 or loopback (127/8): martian (martian_destination), except
//          0.0.0.0 -> 0.0.0.0, which the kernel takes as a broadcast.
//      IPv6, as ip6_rcv_core (net/ipv6/ip6_input.c) judges them:
//        - source or destination loopback (::1, RFC 4291 2.5.3): martian;
//        - source multicast (ff00::/8, RFC 4291 2.7): martian;
//        - source IPv4-mapped (::ffff:0:0/96, "v4mapped addresses ... could fool security
//          models", draft-itojun-v6ops-v4mapped-harmful): martian;
//        - destination multicast of scope 0 (reserved) or 1 (interface-local, RFC 4291
//          errata 3480): martian;
//        - source unspecified (::) towards a unicast destination: martian. The kernel lets it
//          through to its routing; ipvsd is stricter because nothing can answer it and no
//          connection may start from it. Towards multicast it is legal and passes: duplicate
//          address detection (RFC 4862) and MLD send from ::.
//
// Cheap by design: a few compares on addresses already parsed and one ones' complement sum
// over the 20-60 header bytes, once per packet.
//
//   switch (CheckReceived(view)) { case RxCheck::kOk: ...; case RxCheck::kBadIpChecksum: ... }
#pragma once

#include <cstdint>

#include "net/packet_view.h"

namespace ipvsd::net {

enum class RxCheck : uint8_t {
  kOk = 0,
  kBadIpChecksum,      // IPv4 header checksum wrong
  kMartianSource,      // a source no packet may come from
  kMartianDestination, // a destination no packet may be received for
};

// `v` must be Parse's view with valid L3 fields (statuses kOk, kFragment, kBadL4Header).
// The checksum comes first, as in the kernel: a header whose bytes are wrong says nothing
// about its addresses.
RxCheck CheckReceived(const PacketView& v);

// True when the IPv4 header at `ip` (its length from the header) sums to 0xffff.
bool Ipv4HeaderChecksumOk(const uint8_t* ip);

}  // namespace ipvsd::net
