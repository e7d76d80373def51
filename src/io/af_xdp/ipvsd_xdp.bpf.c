/* File: io/af_xdp/ipvsd_xdp.bpf.c
 *
 * The XDP program ipvsd attaches to every interface it serves. It decides, per packet, whether
 * the packet is ipvsd's business and, if so, redirects it to the AF_XDP socket of the rx queue
 * it arrived on; everything else goes on to the kernel's stack (XDP_PASS), so the director's
 * own traffic (ssh, routing protocols, ARP/ND for the VIP) works as it does beside kernel IPVS.
 *
 * ipvsd's packets are:
 *   - TCP/UDP/SCTP to a virtual service: (protocol, daddr, dport) in ipvsd_services, or
 *     (protocol, daddr, 0) for a service that takes every port of its address;
 *   - NAT replies from a real server: (protocol, saddr, sport) or (protocol, saddr, 0) in
 *     ipvsd_nat_srcs;
 *   - ICMP/ICMPv6 errors about either: the quoted packet is a reply we sent from a virtual
 *     service (its source in ipvsd_services) or a packet we sent to a NAT real server (its
 *     destination in ipvsd_nat_srcs);
 *   - IPv4/IPv6 fragments to a service address (ipvsd_vips): fragments carry no ports, and
 *     ipvsd counts and drops them, as the kernel would drop what it cannot reassemble here.
 *
 * Parsing covers Ethernet with up to two VLAN tags, IPv4 with options, and IPv6 with up to
 * four hop-by-hop / routing / destination-options headers before the upper layer (longer
 * chains are left to the kernel). Every loop is unrolled and every read bounds-checked, so the
 * verifier sees a straight line. A packet of ipvsd's with no socket to go to (none bound yet,
 * or a program left behind by a killed ipvsd) is dropped, not passed: the kernel has no table
 * for it and would reset the connection, which the next ipvsd adopts from the connection store
 * (core/conn_store.h) and the client's retransmission reaches. A cleanly stopped ipvsd detaches
 * the program, and the next one replaces a killed one's.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp_maps.h"

#define IPVSD_AF_INET 2
#define IPVSD_AF_INET6 10
#define IPVSD_IP_MF 0x2000
#define IPVSD_IP_OFFSET 0x1fff
#define IPVSD_IP6_OFFSET 0xfff8
#define IPVSD_MAX_VLAN_TAGS 2
#define IPVSD_MAX_IPV6_EXT 4

#define IPVSD_NEXTHDR_HOP 0
#define IPVSD_NEXTHDR_ROUTING 43
#define IPVSD_NEXTHDR_FRAGMENT 44
#define IPVSD_NEXTHDR_ICMPV6 58
#define IPVSD_NEXTHDR_DEST 60

struct ipvsd_vlan_hdr {
  __be16 tci;
  __be16 proto;
};

/* The first four bytes of TCP, UDP and SCTP alike. */
struct ipvsd_ports {
  __be16 src;
  __be16 dst;
};

struct ipvsd_icmp_hdr {
  __u8 type;
  __u8 code;
  __be16 checksum;
  __be32 rest;
};

struct ipvsd_ext_hdr {
  __u8 nexthdr;
  __u8 hdrlen;
};

struct ipvsd_frag_hdr {
  __u8 nexthdr;
  __u8 reserved;
  __be16 frag_off;
  __be32 id;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPVSD_XDP_MAX_MATCHES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ipvsd_l4_key);
  __type(value, __u8);
} ipvsd_services SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPVSD_XDP_MAX_MATCHES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ipvsd_l4_key);
  __type(value, __u8);
} ipvsd_nat_srcs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPVSD_XDP_MAX_MATCHES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ipvsd_addr_key);
  __type(value, __u8);
} ipvsd_vips SEC(".maps");

/* The director's own addresses: replies to them are the kernel's, not NAT replies. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPVSD_XDP_MAX_MATCHES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ipvsd_addr_key);
  __type(value, __u8);
} ipvsd_locals SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPVSD_XDP_MAX_IFACES);
  __type(key, __u32); /* ifindex */
  __type(value, struct ipvsd_ifslot);
} ipvsd_ifslots SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, IPVSD_XDP_MAX_IFACES * IPVSD_XDP_MAX_QUEUES);
  __type(key, __u32);
  __type(value, __u32);
} ipvsd_xsks SEC(".maps");

static __always_inline int IsL4(__u8 protocol) {
  return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_SCTP;
}

/* (protocol, addr, port) or (protocol, addr, 0) in `map`. addr points into the packet and has
 * been bounds-checked by the caller. */
static __always_inline int MatchL4(void* map, __u8 family, __u8 protocol, const __u8* addr, __be16 port) {
  struct ipvsd_l4_key key = {};
  key.family = family;
  key.protocol = protocol;
  key.port = port;
  if (family == IPVSD_AF_INET)
    __builtin_memcpy(key.addr, addr, 4);
  else
    __builtin_memcpy(key.addr, addr, 16);
  if (bpf_map_lookup_elem(map, &key)) return 1;
  key.port = 0;
  return bpf_map_lookup_elem(map, &key) != 0;
}

static __always_inline int InAddrMap(void* map, __u8 family, const __u8* addr) {
  struct ipvsd_addr_key key = {};
  key.family = family;
  if (family == IPVSD_AF_INET)
    __builtin_memcpy(key.addr, addr, 4);
  else
    __builtin_memcpy(key.addr, addr, 16);
  return bpf_map_lookup_elem(map, &key) != 0;
}

static __always_inline int IsVip(__u8 family, const __u8* addr) { return InAddrMap(&ipvsd_vips, family, addr); }

/* A packet (or a quoted packet) is ours when its service side is a virtual service, or its
 * real-server side is a NAT real server talking to someone other than the director itself
 * (`peer_addr`: a reply's destination, a quoted packet's source). */
static __always_inline int IsOurs(__u8 family, __u8 protocol, const __u8* svc_addr, __be16 svc_port,
                                  const __u8* nat_addr, __be16 nat_port, const __u8* peer_addr) {
  if (!IsL4(protocol)) return 0;
  if (MatchL4(&ipvsd_services, family, protocol, svc_addr, svc_port)) return 1;
  return MatchL4(&ipvsd_nat_srcs, family, protocol, nat_addr, nat_port) &&
         !InAddrMap(&ipvsd_locals, family, peer_addr);
}

static __always_inline int IsIcmpError(__u8 type) {
  return type == 3 /* dest unreachable */ || type == 4 /* source quench */ || type == 11 /* time exceeded */ ||
         type == 12 /* parameter problem */;
}

static __always_inline int IsIcmpv6Error(__u8 type) {
  return type == 1 /* dest unreachable */ || type == 2 /* packet too big */ || type == 3 /* time exceeded */ ||
         type == 4 /* parameter problem */;
}

static __always_inline int Ipv4IcmpIsOurs(void* l4, void* end) {
  struct ipvsd_icmp_hdr* icmp = l4;
  if ((void*)(icmp + 1) > end || !IsIcmpError(icmp->type)) return 0;
  struct iphdr* inner = (void*)(icmp + 1);
  if ((void*)(inner + 1) > end) return 0;
  __u32 hlen = inner->ihl * 4;
  if (hlen < sizeof(*inner)) return 0;
  /* A quoted non-first fragment starts with data, not ports. */
  if (inner->frag_off & bpf_htons(IPVSD_IP_OFFSET)) return 0;
  struct ipvsd_ports* ports = (void*)inner + hlen;
  if ((void*)(ports + 1) > end) return 0;
  return IsOurs(IPVSD_AF_INET, inner->protocol, (const __u8*)&inner->saddr, ports->src,
                (const __u8*)&inner->daddr, ports->dst, (const __u8*)&inner->saddr);
}

static __always_inline int Ipv4IsOurs(void* l3, void* end) {
  struct iphdr* ip = l3;
  if ((void*)(ip + 1) > end) return 0;
  __u32 hlen = ip->ihl * 4;
  if (hlen < sizeof(*ip)) return 0;
  if (ip->frag_off & bpf_htons(IPVSD_IP_MF | IPVSD_IP_OFFSET)) return IsVip(IPVSD_AF_INET, (const __u8*)&ip->daddr);
  void* l4 = l3 + hlen;
  if (ip->protocol == IPPROTO_ICMP) return Ipv4IcmpIsOurs(l4, end);
  struct ipvsd_ports* ports = l4;
  if ((void*)(ports + 1) > end) return 0;
  return IsOurs(IPVSD_AF_INET, ip->protocol, (const __u8*)&ip->daddr, ports->dst, (const __u8*)&ip->saddr,
                ports->src, (const __u8*)&ip->daddr);
}

/* Walks hop-by-hop, routing and destination-options headers from *p. Returns 0 when a header
 * runs past the end or the chain is longer than IPVSD_MAX_IPV6_EXT; *nexthdr is then the
 * first header that is none of the three. */
static __always_inline int SkipIpv6Ext(void** p, void* end, __u8* nexthdr) {
#pragma unroll
  for (int i = 0; i < IPVSD_MAX_IPV6_EXT; i++) {
    if (*nexthdr != IPVSD_NEXTHDR_HOP && *nexthdr != IPVSD_NEXTHDR_ROUTING && *nexthdr != IPVSD_NEXTHDR_DEST)
      return 1;
    struct ipvsd_ext_hdr* ext = *p;
    if ((void*)(ext + 1) > end) return 0;
    *nexthdr = ext->nexthdr;
    *p += (ext->hdrlen + 1) * 8;
  }
  return *nexthdr != IPVSD_NEXTHDR_HOP && *nexthdr != IPVSD_NEXTHDR_ROUTING && *nexthdr != IPVSD_NEXTHDR_DEST;
}

static __always_inline int Ipv6IcmpIsOurs(void* l4, void* end) {
  struct ipvsd_icmp_hdr* icmp = l4;
  if ((void*)(icmp + 1) > end || !IsIcmpv6Error(icmp->type)) return 0;
  struct ipv6hdr* inner = (void*)(icmp + 1);
  if ((void*)(inner + 1) > end) return 0;
  __u8 nexthdr = inner->nexthdr;
  void* p = inner + 1;
  if (!SkipIpv6Ext(&p, end, &nexthdr)) return 0;
  if (nexthdr == IPVSD_NEXTHDR_FRAGMENT) {
    /* The quote of a first fragment still has the ports after the fragment header. */
    struct ipvsd_frag_hdr* frag = p;
    if ((void*)(frag + 1) > end || (frag->frag_off & bpf_htons(IPVSD_IP6_OFFSET))) return 0;
    nexthdr = frag->nexthdr;
    p = frag + 1;
  }
  struct ipvsd_ports* ports = p;
  if ((void*)(ports + 1) > end) return 0;
  return IsOurs(IPVSD_AF_INET6, nexthdr, inner->saddr.in6_u.u6_addr8, ports->src, inner->daddr.in6_u.u6_addr8,
                ports->dst, inner->saddr.in6_u.u6_addr8);
}

static __always_inline int Ipv6IsOurs(void* l3, void* end) {
  struct ipv6hdr* ip6 = l3;
  if ((void*)(ip6 + 1) > end) return 0;
  __u8 nexthdr = ip6->nexthdr;
  void* p = ip6 + 1;
  if (!SkipIpv6Ext(&p, end, &nexthdr)) return 0;
  if (nexthdr == IPVSD_NEXTHDR_FRAGMENT) return IsVip(IPVSD_AF_INET6, ip6->daddr.in6_u.u6_addr8);
  if (nexthdr == IPVSD_NEXTHDR_ICMPV6) return Ipv6IcmpIsOurs(p, end);
  struct ipvsd_ports* ports = p;
  if ((void*)(ports + 1) > end) return 0;
  return IsOurs(IPVSD_AF_INET6, nexthdr, ip6->daddr.in6_u.u6_addr8, ports->dst, ip6->saddr.in6_u.u6_addr8,
                ports->src, ip6->daddr.in6_u.u6_addr8);
}

/* Byte by byte: clang would turn memcmp into a call, which BPF cannot make. */
static __always_inline int SameMac(const __u8* a, const __u8* b) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] && a[5] == b[5];
}

SEC("xdp")
int ipvsd_xdp(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > end) return XDP_PASS;
  __u32 ifindex = ctx->ingress_ifindex;
  __u32 queue = ctx->rx_queue_index;
  struct ipvsd_ifslot* ifslot = bpf_map_lookup_elem(&ipvsd_ifslots, &ifindex);
  if (!ifslot || queue >= IPVSD_XDP_MAX_QUEUES) return XDP_PASS;
  /* Someone else's unicast frame (flooded by a bridge): the kernel drops it as
   * PACKET_OTHERHOST. Broadcast and multicast frames go on, as AF_PACKET hands them over. */
  if (!(eth->h_dest[0] & 1) && !SameMac(eth->h_dest, ifslot->mac)) return XDP_PASS;
  __be16 ethertype = eth->h_proto;
  void* l3 = eth + 1;
#pragma unroll
  for (int i = 0; i < IPVSD_MAX_VLAN_TAGS; i++) {
    if (ethertype != bpf_htons(ETH_P_8021Q) && ethertype != bpf_htons(ETH_P_8021AD)) break;
    struct ipvsd_vlan_hdr* vlan = l3;
    if ((void*)(vlan + 1) > end) return XDP_PASS;
    ethertype = vlan->proto;
    l3 = vlan + 1;
  }

  int ours = 0;
  if (ethertype == bpf_htons(ETH_P_IP))
    ours = Ipv4IsOurs(l3, end);
  else if (ethertype == bpf_htons(ETH_P_IPV6))
    ours = Ipv6IsOurs(l3, end);
  if (!ours) return XDP_PASS;

  return bpf_redirect_map(&ipvsd_xsks, ifslot->slot * IPVSD_XDP_MAX_QUEUES + queue, XDP_DROP);
}

char _license[] SEC("license") = "GPL";
