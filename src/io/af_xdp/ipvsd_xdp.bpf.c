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
 *
 * Flow offload (io/flow_offload.h): a packet of ipvsd's whose 5-tuple, as it arrives, is in
 * ipvsd_flows (put there by user space once its connection is established) is forwarded by the
 * program itself, to the same bytes the user-space path would send (fwd/nat.cc, fwd/dr.cc,
 * fwd/tun.cc, then the worker's Transmit): NAT's address and port rewrite, DR's none or TUN's
 * outer headers (IPIP, GUE or GRE, put in front with bpf_xdp_adjust_head), the TTL / hop limit
 * one less, the checksums updated, the next hop's MACs, out through XDP_TX or a redirect to
 * ipvsd_tx_ports. Only a plain packet qualifies: IPv4 (options allowed) or IPv6 without
 * extension headers, not a fragment, TCP without SYN, FIN or RST, or UDP; whole, with a
 * correct IPv4 header checksum and valid options (as user space receives it, net/rx_checks.h),
 * a TTL to spare and no longer than the flow's MTU. A partial checksum (left by a sender that
 * offloads it, net/partial_checksum.h) is completed over at most IPVSD_MAX_SUM_LEN bytes and
 * only in native mode. Every other packet goes to the AF_XDP socket as before, untouched: all
 * checks are made before the first byte is written, and only a forwarded packet is counted.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

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

/* Flow offload. */
#define IPVSD_PUNT -1              /* not forwarded here: on to the AF_XDP socket */
#define IPVSD_MAX_IPV4_OPT_LEN 40  /* a 60-byte header less its 20 fixed bytes */
/* The longest TCP/UDP segment whose checksum the program sums in full (a partial checksum to
 * complete, a UDP datagram without one): a 1500-byte MTU and then some. Longer ones go up. */
#define IPVSD_MAX_SUM_LEN 2048
#define IPVSD_SUM_CHUNK 512        /* the most bpf_csum_diff sums in one call */

/* TUN (fwd/tun.cc, net/encap.cc). */
#define IPVSD_IP_DF 0x4000
#define IPVSD_IPPROTO_IPIP 4
#define IPVSD_IPPROTO_IPV6 41
#define IPVSD_IPPROTO_GRE 47
#define IPVSD_GRE_CSUM 0x8000
#define IPVSD_GUE_LEN 12    /* UDP and the GUE base header */
#define IPVSD_MAX_L2_LEN 22  /* Ethernet and two VLAN tags */

/* Where SumSegment copies a segment to sum it (4 bytes of slack for the tail it reads). */
struct ipvsd_scratch {
  __u8 bytes[IPVSD_MAX_SUM_LEN + 4];
};

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

/* A plain packet (TCP or UDP, not a fragment, no IPv6 extension header): the only kind flow
 * offload forwards. Ipv4IsOurs / Ipv6IsOurs set l3, l4, family and protocol (protocol stays 0
 * for every other packet); the fast path checks the packet and fills in the rest before it
 * writes anything. The pointers point into the packet. */
struct ipvsd_plain {
  void* l3;
  void* l4;
  __u8* saddr;
  __u8* daddr;
  __sum16* l4_check; /* the TCP or UDP checksum field */
  __u32 ip_len;      /* IPv4 total length, IPv6 payload length + 40 */
  __u32 l4_len;      /* ip_len less the IP header */
  __u8 family;
  __u8 protocol;
  __u8 ttl;
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

/* One buffer per CPU for SumSegment; not shared with user space. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct ipvsd_scratch);
} ipvsd_scratch SEC(".maps");

/* Flow offload: one direction of an established connection each (xdp_maps.h), written by user
 * space; the program adds to the counters of the entry. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPVSD_XDP_MAX_FLOWS);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ipvsd_flow_key);
  __type(value, struct ipvsd_flow);
} ipvsd_flows SEC(".maps");

/* The interfaces a flow may leave through when it is not the one its packet came in on: those
 * that take redirected frames (key and value: the ifindex). */
struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
  __uint(max_entries, IPVSD_XDP_MAX_IFACES);
  __type(key, __u32);
  __type(value, __u32);
} ipvsd_tx_ports SEC(".maps");

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

/* Sets *plain for a plain TCP/UDP packet (see struct ipvsd_plain). */
static __always_inline void SetPlain(struct ipvsd_plain* plain, __u8 family, __u8 protocol, void* l3, void* l4) {
  if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) return;
  plain->family = family;
  plain->protocol = protocol;
  plain->l3 = l3;
  plain->l4 = l4;
}

static __always_inline int Ipv4IsOurs(void* l3, void* end, struct ipvsd_plain* plain) {
  struct iphdr* ip = l3;
  if ((void*)(ip + 1) > end) return 0;
  __u32 hlen = ip->ihl * 4;
  if (hlen < sizeof(*ip)) return 0;
  if (ip->frag_off & bpf_htons(IPVSD_IP_MF | IPVSD_IP_OFFSET)) return IsVip(IPVSD_AF_INET, (const __u8*)&ip->daddr);
  void* l4 = l3 + hlen;
  if (ip->protocol == IPPROTO_ICMP) return Ipv4IcmpIsOurs(l4, end);
  struct ipvsd_ports* ports = l4;
  if ((void*)(ports + 1) > end) return 0;
  SetPlain(plain, IPVSD_AF_INET, ip->protocol, l3, l4);
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

static __always_inline int Ipv6IsOurs(void* l3, void* end, struct ipvsd_plain* plain) {
  struct ipv6hdr* ip6 = l3;
  if ((void*)(ip6 + 1) > end) return 0;
  __u8 nexthdr = ip6->nexthdr;
  void* p = ip6 + 1;
  if (!SkipIpv6Ext(&p, end, &nexthdr)) return 0;
  if (nexthdr == IPVSD_NEXTHDR_FRAGMENT) return IsVip(IPVSD_AF_INET6, ip6->daddr.in6_u.u6_addr8);
  if (nexthdr == IPVSD_NEXTHDR_ICMPV6) return Ipv6IcmpIsOurs(p, end);
  struct ipvsd_ports* ports = p;
  if ((void*)(ports + 1) > end) return 0;
  /* The upper layer right after the fixed header: no extension header to skip. */
  if (ip6->nexthdr == nexthdr) SetPlain(plain, IPVSD_AF_INET6, nexthdr, l3, p);
  return IsOurs(IPVSD_AF_INET6, nexthdr, ip6->daddr.in6_u.u6_addr8, ports->dst, ip6->saddr.in6_u.u6_addr8,
                ports->src, ip6->daddr.in6_u.u6_addr8);
}

/* Byte by byte: clang would turn memcmp into a call, which BPF cannot make. */
static __always_inline int SameMac(const __u8* a, const __u8* b) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] && a[5] == b[5];
}

/* ---- Flow offload -------------------------------------------------------------------------- */

/* Checksums (RFC 1071) are summed over 16-bit words as they lie in the packet, never swapped: a
 * ones' complement sum comes out the same in either byte order. Terms go into 64 bits and are
 * folded once; a fold is 0 only for a zero sum, as in net/checksum.cc, so every checksum the
 * program writes is the very value user space writes, not merely an equivalent one. */
static __always_inline __u16 Fold(__u64 sum) {
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)sum;
}

/* What replacing the word `from` by `to` adds to a sum (RFC 1624, eqn. 3: ~m + m'). */
static __always_inline __u64 Replace16(__u16 from, __u16 to) { return (__u16)~from + (__u64)to; }

/* The sum of an address (4 or 16 bytes by family), and what replacing one adds. */
static __always_inline __u64 SumAddr(const __u8* addr, __u8 family) {
  const __u16* w = (const __u16*)addr;
  __u64 sum = 0;
#pragma unroll
  for (int i = 0; i < 8; i++) {
    if (family == IPVSD_AF_INET && i == 2) break;
    sum += w[i];
  }
  return sum;
}

static __always_inline __u64 ReplaceAddr(const __u8* from, const __u8* to, __u8 family) {
  const __u16* f = (const __u16*)from;
  const __u16* t = (const __u16*)to;
  __u64 sum = 0;
#pragma unroll
  for (int i = 0; i < 8; i++) {
    if (family == IPVSD_AF_INET && i == 2) break;
    sum += Replace16(f[i], t[i]);
  }
  return sum;
}

/* Adds the TCP/UDP segment, len bytes at offset in the frame, to *sum, an odd last byte padded
 * with a zero (RFC 1071). The segment is copied to a per-CPU buffer first: bpf_csum_diff then
 * sums it in 512-byte pieces whose variable sizes the verifier can bound by the buffer (it could
 * not by the packet, and a loop over the packet's words costs it a pass per length). Returns 0
 * when len is 0 or over IPVSD_MAX_SUM_LEN. */
static __always_inline int SumSegment(struct xdp_md* ctx, __u32 offset, __u32 len, __u64* sum) {
  __u32 zero = 0;
  struct ipvsd_scratch* s = bpf_map_lookup_elem(&ipvsd_scratch, &zero);
  if (!s || len == 0 || len > IPVSD_MAX_SUM_LEN || bpf_xdp_load_bytes(ctx, offset, s->bytes, len)) return 0;
  __u32 whole = len & ~3; /* the bytes in whole 32-bit words: bpf_csum_diff takes only those */
#pragma unroll
  for (__u32 at = 0; at < IPVSD_MAX_SUM_LEN; at += IPVSD_SUM_CHUNK) {
    if (at < whole) {
      __u32 n = whole - at;
      if (n > IPVSD_SUM_CHUNK) n = IPVSD_SUM_CHUNK;
      *sum += (__u32)bpf_csum_diff(0, 0, (__be32*)(s->bytes + at), n, 0);
    }
  }
  __u32 tail = len & 3;
  if (tail) {
    const __u8* t = s->bytes + (whole & (IPVSD_MAX_SUM_LEN - 1));
    __u8 word[4] = {t[0], tail > 1 ? t[1] : 0, tail > 2 ? t[2] : 0, 0};
    *sum += *(__u32*)word;
  }
  return 1;
}

/* RFC 791 options as user space takes them (net/parse.cc; the kernel's ip_options_compile drops
 * the others): End of Options ends the list, No Operation is one byte, every other option has a
 * length of at least 2 that stays within the header. Walked position by position, `next` being
 * where the next option starts (clang unrolls the loop only without an early exit). */
static __always_inline int Ipv4OptionsValid(const __u8* opt, __u32 len) {
  __u32 next = 0;
#pragma unroll
  for (__u32 at = 0; at < IPVSD_MAX_IPV4_OPT_LEN; at++) {
    if (at < len && at == next) {
      if (opt[at] == 0) { /* End of Options: the rest is padding */
        next = IPVSD_MAX_IPV4_OPT_LEN;
      } else if (opt[at] == 1) { /* No Operation */
        next = at + 1;
      } else {
        if (opt[at + 1] < 2 || opt[at + 1] > len - at) return 0;
        next = at + opt[at + 1];
      }
    }
  }
  return 1;
}

/* The IPv4 header as ip_rcv and user space accept it (net/parse.cc, net/rx_checks.h): a
 * checksum that sums to 0xffff and options that parse. Both are checked on a copy in the per-CPU
 * buffer, at constant offsets: walked in the packet, every bounds check would give the verifier
 * one more state to follow through the rest of the program. The options' length comes from the
 * copy, for the same reason: the verifier tracks hlen precisely (it placed the L4 header). */
static __always_inline int Ipv4HeaderValid(struct xdp_md* ctx, __u32 offset, __u32 hlen) {
  __u32 zero = 0;
  struct ipvsd_scratch* s = bpf_map_lookup_elem(&ipvsd_scratch, &zero);
  if (!s || bpf_xdp_load_bytes(ctx, offset, s->bytes, hlen)) return 0;
  if (Fold((__u32)bpf_csum_diff(0, 0, (__be32*)s->bytes, hlen, 0)) != 0xffff) return 0;
  return Ipv4OptionsValid(s->bytes + sizeof(struct iphdr), (s->bytes[0] & 0xf) * 4 - sizeof(struct iphdr));
}

/* IPv4: a header user space accepts and the packet whole within the frame. */
static __always_inline int Ipv4Forwardable(struct xdp_md* ctx, void* data, struct ipvsd_plain* p, void* end) {
  struct iphdr* ip = p->l3;
  if ((void*)(ip + 1) > end || ip->version != 4) return 0;
  __u32 hlen = ip->ihl * 4;
  __u32 ip_len = bpf_ntohs(ip->tot_len);
  if (hlen < sizeof(*ip) || ip_len < hlen || p->l3 + ip_len > end) return 0;
  if (!Ipv4HeaderValid(ctx, (__u32)(p->l3 - data), hlen)) return 0;
  p->ip_len = ip_len;
  p->l4_len = ip_len - hlen;
  p->ttl = ip->ttl;
  p->saddr = (__u8*)&ip->saddr;
  p->daddr = (__u8*)&ip->daddr;
  return 1;
}

static __always_inline int Ipv6Forwardable(struct ipvsd_plain* p, void* end) {
  struct ipv6hdr* ip6 = p->l3;
  if ((void*)(ip6 + 1) > end || ip6->version != 6) return 0;
  __u32 ip_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
  if (p->l3 + ip_len > end) return 0;
  p->ip_len = ip_len;
  p->l4_len = ip_len - sizeof(*ip6);
  p->ttl = ip6->hop_limit;
  p->saddr = ip6->saddr.in6_u.u6_addr8;
  p->daddr = ip6->daddr.in6_u.u6_addr8;
  return 1;
}

/* A TCP or UDP header user space would parse (net/parse.cc). SYN, FIN and RST change the
 * state of a connection: the worker must see them. */
static __always_inline int L4Forwardable(struct ipvsd_plain* p, void* end) {
  if (p->protocol == IPPROTO_TCP) {
    struct tcphdr* tcp = p->l4;
    if ((void*)(tcp + 1) > end || p->l4_len < sizeof(*tcp)) return 0;
    __u32 doff = tcp->doff * 4;
    if (doff < sizeof(*tcp) || doff > p->l4_len || tcp->syn || tcp->fin || tcp->rst) return 0;
    p->l4_check = &tcp->check;
    return 1;
  }
  struct udphdr* udp = p->l4;
  if ((void*)(udp + 1) > end || p->l4_len < sizeof(*udp)) return 0;
  __u32 udp_len = bpf_ntohs(udp->len);
  if (udp_len < sizeof(*udp) || udp_len > p->l4_len) return 0;
  p->l4_check = &udp->check;
  return 1;
}

static __always_inline void CopyAddr(__u8* to, const __u8* from, __u8 family) {
  if (family == IPVSD_AF_INET)
    __builtin_memcpy(to, from, 4);
  else
    __builtin_memcpy(to, from, 16);
}

static __always_inline struct ipvsd_flow* LookupFlow(const struct ipvsd_plain* p) {
  struct ipvsd_ports* ports = p->l4;
  struct ipvsd_flow_key key = {};
  key.family = p->family;
  key.protocol = p->protocol;
  key.sport = ports->src;
  key.dport = ports->dst;
  CopyAddr(key.saddr, p->saddr, p->family);
  CopyAddr(key.daddr, p->daddr, p->family);
  return bpf_map_lookup_elem(&ipvsd_flows, &key);
}

/* What a forwarded packet becomes, worked out before anything is written. */
struct ipvsd_rewrite {
  __u8 new_addr[16]; /* NAT: replaces daddr (to the server) or saddr (to the client) */
  __be16 new_port;   /* NAT: likewise the port */
  __sum16 ip_check;  /* IPv4: the header checksum */
  __sum16 l4_check;  /* the TCP or UDP checksum */
};

/* NAT's new address and port, and what they add to the checksums that cover them. */
static __always_inline void PlanNat(const struct ipvsd_plain* p, const struct ipvsd_flow* flow, __u8 action,
                                    struct ipvsd_rewrite* rw, __u64* addr_delta, __u64* port_delta) {
  struct ipvsd_ports* ports = p->l4;
  const __u8* addr = action == IPVSD_FLOW_NAT_TO_SERVER ? p->daddr : p->saddr;
  __be16 port = action == IPVSD_FLOW_NAT_TO_SERVER ? ports->dst : ports->src;
  CopyAddr(rw->new_addr, flow->new_addr, p->family);
  /* A new port of 0 keeps the packet's (a service of every port), as fwd/nat.cc does. */
  rw->new_port = flow->new_port ? flow->new_port : port;
  *addr_delta = ReplaceAddr(addr, rw->new_addr, p->family);
  *port_delta = Replace16(port, rw->new_port);
}

/* The TCP/UDP checksum of the rewritten packet, as user space writes it (CompletePartialChecksum
 * in net/partial_checksum.cc, then TranslateTransport in fwd/nat.cc):
 *   - a partial checksum, the field holding just the folded pseudo-header sum of the packet as
 *     received (a sender's checksum offload), becomes the full one: an XDP frame carries no
 *     offload state, and its receiver checks the field;
 *   - a UDP datagram without checksum (0) gets a full one under NAT;
 *   - else NAT updates the checksum for the new address and port, and DR leaves it.
 * UDP sends a computed 0 as 0xffff. Returns 0 (go up) for a partial checksum in skb mode
 * (struct ipvsd_ifslot) or a segment too long to sum here. */
static __always_inline int PlanL4Check(struct xdp_md* ctx, void* data, const struct ipvsd_plain* p, __u8 action,
                                       int native, __u64 addr_delta, __u64 port_delta, __sum16* out) {
  __u16 check = *p->l4_check;
  __u64 pseudo = SumAddr(p->saddr, p->family) + SumAddr(p->daddr, p->family) + bpf_htons((__u16)p->protocol) +
                 bpf_htons((__u16)p->l4_len);
  int udp = p->protocol == IPPROTO_UDP;
  /* A pseudo-header never folds to 0: a UDP checksum of 0 is never taken for a partial one. */
  int partial = check == Fold(pseudo);
  if (partial && !native) return 0;
  if (partial || (udp && check == 0 && action != IPVSD_FLOW_ROUTE)) {
    __u64 sum = 0;
    if (!SumSegment(ctx, (__u32)(p->l4 - data), p->l4_len, &sum)) return 0;
    /* The segment as received less its checksum field, with the new ports, under the new
     * pseudo-header. */
    check = ~Fold(sum + (__u16)~check + pseudo + addr_delta + port_delta);
  } else if (action != IPVSD_FLOW_ROUTE) {
    check = ~Fold((__u16)~check + addr_delta + port_delta);
  } else {
    *out = check;
    return 1;
  }
  *out = udp && check == 0 ? 0xffff : check;
  return 1;
}

/* IPv4: the header checksum after the TTL and address changes. The header was checked on the
 * way in (Ipv4Forwardable), so this incremental update gives exactly the bytes of a full
 * recomputation (SetIpv4HeaderChecksum). */
static __always_inline __sum16 NewIpv4Check(struct iphdr* ip, __u64 addr_delta) {
  __u16 ttl_protocol = *(__u16*)&ip->ttl;
  __u16 decremented = ttl_protocol - bpf_htons(0x0100);
  return ~Fold((__u16)~ip->check + Replace16(ttl_protocol, decremented) + addr_delta);
}

static __always_inline void Rewrite(struct ethhdr* eth, const struct ipvsd_plain* p, const struct ipvsd_flow* flow,
                                    __u8 action, const struct ipvsd_rewrite* rw) {
  struct ipvsd_ports* ports = p->l4;
  if (action == IPVSD_FLOW_NAT_TO_SERVER) {
    CopyAddr(p->daddr, rw->new_addr, p->family);
    ports->dst = rw->new_port;
  } else if (action == IPVSD_FLOW_NAT_TO_CLIENT) {
    CopyAddr(p->saddr, rw->new_addr, p->family);
    ports->src = rw->new_port;
  }
  if (p->family == IPVSD_AF_INET) {
    struct iphdr* ip = p->l3;
    ip->ttl--;
    ip->check = rw->ip_check;
  } else {
    struct ipv6hdr* ip6 = p->l3;
    ip6->hop_limit--;
  }
  *p->l4_check = rw->l4_check;
  /* The worker's Transmit: the next hop's MAC, ours as the source; VLAN tags stay. */
  __builtin_memcpy(eth->h_dest, flow->dst_mac, ETH_ALEN);
  __builtin_memcpy(eth->h_source, flow->src_mac, ETH_ALEN);
}

static __always_inline void Count(struct ipvsd_flow* flow, __u32 ip_len) {
  __sync_fetch_and_add(&flow->packets, 1);
  __sync_fetch_and_add(&flow->bytes, ip_len);
  flow->last_seen_ns = bpf_ktime_get_ns();
}

/* ---- TUN -------------------------------------------------------------------------------------- */

/* base/hash.h's Mix64 and HashCombine, for the outer IPv4 ID of an IPv6 packet (fwd::OuterIpId). */
static __always_inline __u64 Mix64(__u64 x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

static __always_inline __u64 HashCombine(__u64 seed, __u64 v) {
  return Mix64(seed ^ (v + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2)));
}

static __always_inline __u16 Fold16(__u64 h) { return (__u16)(h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48)); }

/* The sum of the first n (even, constant) bytes at p. */
static __always_inline __u64 SumBytes(const void* p, int n) {
  const __u16* w = p;
  __u64 sum = 0;
#pragma unroll
  for (int i = 0; i < n / 2; i++) sum += w[i];
  return sum;
}

/* The headers a TUN flow puts in front of its packets, built in full before anything is written. */
struct ipvsd_encap {
  union {
    struct iphdr v4;
    struct ipv6hdr v6;
  } ip;
  union {
    struct {
      struct udphdr udp;
      __u8 gue_control; /* version 0, a data message, no options */
      __u8 gue_proto;
      __be16 gue_flags;
    } gue;
    struct {
      __be16 flags;
      __be16 protocol;
      __sum16 check;
      __be16 reserved;
    } gre;
  } tun;
  __u32 ip_len;  /* outer IP header: 20 or 40 */
  __u32 tun_len; /* what follows it: 0, 4, 8 or 12 */
};

/* The outer headers for an inner packet of ip_len bytes whose checksummed bytes sum to inner_sum
 * (GUE and GRE with a checksum only), as net::Encapsulate writes them. */
static __always_inline void BuildEncap(struct ipvsd_encap* e, const struct ipvsd_flow_tunnel* t, __u8 inner_family,
                                       __u32 ip_len, __u8 tos, __u8 ttl, int df, __u16 ip_id, __u64 inner_sum) {
  __u8 inner_proto = inner_family == IPVSD_AF_INET6 ? IPVSD_IPPROTO_IPV6 : IPVSD_IPPROTO_IPIP;
  __u8 proto = inner_proto;
  e->ip_len = t->family == IPVSD_AF_INET6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
  e->tun_len = 0;
  if (t->type == IPVSD_TUN_GUE) {
    proto = IPPROTO_UDP;
    e->tun_len = IPVSD_GUE_LEN;
    __u16 udp_len = (__u16)(IPVSD_GUE_LEN + ip_len);
    e->tun.gue.udp.source = t->udp_sport;
    e->tun.gue.udp.dest = t->udp_dport;
    e->tun.gue.udp.len = bpf_htons(udp_len);
    e->tun.gue.gue_proto = inner_proto;
    if (t->csum) {
      __u64 sum = SumAddr(t->saddr, t->family) + SumAddr(t->daddr, t->family) + bpf_htons((__u16)IPPROTO_UDP) +
                  bpf_htons(udp_len) + SumBytes(&e->tun.gue, IPVSD_GUE_LEN) + inner_sum;
      __u16 check = ~Fold(sum);
      e->tun.gue.udp.check = check ? check : 0xffff;
    }
  } else if (t->type == IPVSD_TUN_GRE) {
    proto = IPVSD_IPPROTO_GRE;
    e->tun_len = t->csum ? 8 : 4;
    e->tun.gre.flags = bpf_htons(t->csum ? IPVSD_GRE_CSUM : 0);
    e->tun.gre.protocol = bpf_htons(inner_family == IPVSD_AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
    /* RFC 2784: over the GRE header and its payload, no pseudo-header. */
    if (t->csum) e->tun.gre.check = ~Fold(SumBytes(&e->tun.gre, 8) + inner_sum);
  }
  if (t->family == IPVSD_AF_INET6) {
    e->ip.v6.version = 6;
    e->ip.v6.priority = tos >> 4;
    e->ip.v6.flow_lbl[0] = (__u8)(tos << 4);
    e->ip.v6.payload_len = bpf_htons((__u16)(e->tun_len + ip_len));
    e->ip.v6.nexthdr = proto;
    e->ip.v6.hop_limit = ttl;
    __builtin_memcpy(e->ip.v6.saddr.in6_u.u6_addr8, t->saddr, 16);
    __builtin_memcpy(e->ip.v6.daddr.in6_u.u6_addr8, t->daddr, 16);
  } else {
    e->ip.v4.version = 4;
    e->ip.v4.ihl = 5;
    e->ip.v4.tos = tos;
    e->ip.v4.tot_len = bpf_htons((__u16)(sizeof(struct iphdr) + e->tun_len + ip_len));
    e->ip.v4.id = bpf_htons(ip_id);
    e->ip.v4.frag_off = bpf_htons(df ? IPVSD_IP_DF : 0);
    e->ip.v4.ttl = ttl;
    e->ip.v4.protocol = proto;
    __builtin_memcpy(&e->ip.v4.saddr, t->saddr, 4);
    __builtin_memcpy(&e->ip.v4.daddr, t->daddr, 4);
    e->ip.v4.check = ~Fold(SumBytes(&e->ip.v4, sizeof(struct iphdr)));
  }
}

/* Loads (store 0) or stores the link-layer header, Ethernet with 0, 1 or 2 VLAN tags, at the
 * front of the frame: one constant size per case, which is what the verifier can bound. */
static __always_inline long CopyL2(struct xdp_md* ctx, __u8* l2, __u32 l2_len, int store) {
  if (l2_len == sizeof(struct ethhdr))
    return store ? bpf_xdp_store_bytes(ctx, 0, l2, sizeof(struct ethhdr))
                 : bpf_xdp_load_bytes(ctx, 0, l2, sizeof(struct ethhdr));
  if (l2_len == sizeof(struct ethhdr) + sizeof(struct ipvsd_vlan_hdr))
    return store ? bpf_xdp_store_bytes(ctx, 0, l2, sizeof(struct ethhdr) + sizeof(struct ipvsd_vlan_hdr))
                 : bpf_xdp_load_bytes(ctx, 0, l2, sizeof(struct ethhdr) + sizeof(struct ipvsd_vlan_hdr));
  return store ? bpf_xdp_store_bytes(ctx, 0, l2, IPVSD_MAX_L2_LEN) : bpf_xdp_load_bytes(ctx, 0, l2, IPVSD_MAX_L2_LEN);
}

/* Tunnels a plain packet of an offloaded TUN flow as fwd::TunXmit and the worker's Transmit
 * would: the inner TTL one less (and the IPv4 header checksum with it), a partial TCP/UDP
 * checksum completed, Ethernet padding dropped, the outer headers put in front of the IP packet
 * and the link-layer header (VLAN tags kept) moved in front of them with the next hop's MACs.
 * The MTU check was made against the inner MTU user space installed. Everything is worked out
 * first; then the frame grows (a frame without the headroom goes up untouched) and is written
 * with bpf_xdp_store_bytes, whose bounds were all checked here. */
static __always_inline int ForwardTunnel(struct xdp_md* ctx, struct ethhdr* eth, const struct ipvsd_ifslot* ifslot,
                                         struct ipvsd_plain* p, struct ipvsd_flow* flow, __u32 out_ifindex,
                                         void* end) {
  struct ipvsd_flow_tunnel t = flow->tunnel; /* read once: user space may rewrite the entry */
  if (t.family != IPVSD_AF_INET && t.family != IPVSD_AF_INET6) return IPVSD_PUNT;
  __u32 l2_len = (__u32)(p->l3 - (void*)eth);
  __u32 l3_off = l2_len;
  __u32 check_off = (__u32)((void*)p->l4_check - p->l3);
  __u32 trailing = (__u32)(end - (p->l3 + p->ip_len));
  if (l2_len < sizeof(struct ethhdr) || l2_len > IPVSD_MAX_L2_LEN) return IPVSD_PUNT;

  __sum16 old_l4_check = *p->l4_check;
  __sum16 l4_check;
  if (!PlanL4Check(ctx, eth, p, IPVSD_FLOW_ROUTE, ifslot->native, 0, 0, &l4_check)) return IPVSD_PUNT;

  /* The inner header's changes, the DS field and DF, and what the outer IPv4 ID derives from. */
  __u16 old_word, new_word; /* IPv4: TTL and protocol; IPv6: next header and hop limit */
  __sum16 old_ip_check = 0, new_ip_check = 0;
  __u8 tos;
  int df = 0;
  __u16 ip_id;
  if (p->family == IPVSD_AF_INET) {
    struct iphdr* ip = p->l3;
    old_word = *(__u16*)&ip->ttl;
    new_word = old_word - bpf_htons(0x0100);
    old_ip_check = ip->check;
    new_ip_check = NewIpv4Check(ip, 0);
    tos = ip->tos;
    df = (ip->frag_off & bpf_htons(IPVSD_IP_DF)) != 0;
    ip_id = bpf_ntohs(ip->id) ^ Fold16(t.flow_hash);
  } else {
    struct ipv6hdr* ip6 = p->l3;
    old_word = *(__u16*)&ip6->nexthdr;
    new_word = old_word - bpf_htons(0x0001);
    tos = (__u8)((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4));
    /* The 32 bits at offset 4 of the segment as user space hashes them: after its checksum was
     * completed (a UDP checksum lies in them). */
    __u8* word = p->l4 + 4;
    if ((void*)(word + 4) > end) return IPVSD_PUNT;
    __u8 w[4] = {word[0], word[1], word[2], word[3]};
    if (p->protocol == IPPROTO_UDP) __builtin_memcpy(&w[2], &l4_check, 2);
    __u64 varying = ((__u32)w[0] << 24) | ((__u32)w[1] << 16) | ((__u32)w[2] << 8) | w[3];
    ip_id = Fold16(HashCombine(t.flow_hash, ((__u64)p->ip_len << 32) | varying));
  }
  tos = (tos & 0x3) == 0x3 ? (tos & ~0x3) | 0x2 : tos; /* ECN: CE becomes ECT(0) (RFC 6040) */

  __u64 inner_sum = 0;
  if (t.csum && t.type != IPVSD_TUN_IPIP) {
    if (!SumSegment(ctx, l3_off, p->ip_len, &inner_sum)) return IPVSD_PUNT;
    inner_sum += Replace16(old_word, new_word) + Replace16(old_ip_check, new_ip_check) +
                 Replace16(old_l4_check, l4_check);
  }
  struct ipvsd_encap e = {};
  BuildEncap(&e, &t, p->family, p->ip_len, tos, p->ttl - 1, df, df ? 0 : ip_id, inner_sum);
  __u32 overhead = e.ip_len + e.tun_len;

  __u8 l2[IPVSD_MAX_L2_LEN] = {};
  if (CopyL2(ctx, l2, l2_len, 0)) return IPVSD_PUNT;
  __builtin_memcpy(l2, flow->dst_mac, ETH_ALEN);
  __builtin_memcpy(l2 + ETH_ALEN, flow->src_mac, ETH_ALEN);
  __be16 ethertype = bpf_htons(t.family == IPVSD_AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
  __u8 ttl = p->ttl - 1;
  __u8 ip_family = p->family;

  /* Every check has passed: from here on the frame is written, and it leaves. */
  if (bpf_xdp_adjust_head(ctx, -(int)overhead)) return IPVSD_PUNT;
  if (trailing && bpf_xdp_adjust_tail(ctx, -(int)trailing)) {
    bpf_xdp_adjust_head(ctx, (int)overhead);
    return IPVSD_PUNT;
  }
  __u32 inner = l3_off + overhead;
  long err = CopyL2(ctx, l2, l2_len, 1);
  err |= bpf_xdp_store_bytes(ctx, l2_len - 2, &ethertype, 2);
  if (e.ip_len == sizeof(struct ipv6hdr))
    err |= bpf_xdp_store_bytes(ctx, l3_off, &e.ip.v6, sizeof(struct ipv6hdr));
  else
    err |= bpf_xdp_store_bytes(ctx, l3_off, &e.ip.v4, sizeof(struct iphdr));
  /* One constant size per branch, as the verifier wants; BuildEncap chose the length. */
  if (e.tun_len == IPVSD_GUE_LEN)
    err |= bpf_xdp_store_bytes(ctx, l3_off + e.ip_len, &e.tun, IPVSD_GUE_LEN);
  else if (e.tun_len == 8)
    err |= bpf_xdp_store_bytes(ctx, l3_off + e.ip_len, &e.tun, 8);
  else if (e.tun_len == 4)
    err |= bpf_xdp_store_bytes(ctx, l3_off + e.ip_len, &e.tun, 4);
  if (ip_family == IPVSD_AF_INET) {
    err |= bpf_xdp_store_bytes(ctx, inner + 8, &ttl, 1);
    err |= bpf_xdp_store_bytes(ctx, inner + 10, &new_ip_check, 2);
  } else {
    err |= bpf_xdp_store_bytes(ctx, inner + 7, &ttl, 1);
  }
  err |= bpf_xdp_store_bytes(ctx, inner + check_off, &l4_check, 2);
  /* Bounds were checked above: a failure here is a bug, and the half-written frame is dropped. */
  if (err) return XDP_ABORTED;
  Count(flow, p->ip_len);
  if (out_ifindex == ctx->ingress_ifindex) return XDP_TX;
  return bpf_redirect_map(&ipvsd_tx_ports, out_ifindex, 0);
}

/* Forwards a plain packet of an offloaded flow as user space would, and returns XDP_TX or
 * XDP_REDIRECT; or IPVSD_PUNT, with nothing written, for a packet that must go up. */
static __always_inline int ForwardFlow(struct xdp_md* ctx, struct ethhdr* eth, const struct ipvsd_ifslot* ifslot,
                                       struct ipvsd_plain* p, void* end) {
  int ok = p->family == IPVSD_AF_INET ? Ipv4Forwardable(ctx, eth, p, end) : Ipv6Forwardable(p, end);
  if (!ok || !L4Forwardable(p, end)) return IPVSD_PUNT;
  struct ipvsd_flow* flow = LookupFlow(p);
  if (!flow) return IPVSD_PUNT;
  /* Read once: user space may rewrite the entry meanwhile. */
  __u8 action = flow->action;
  __u32 out_ifindex = flow->ifindex;
  if (action != IPVSD_FLOW_NAT_TO_SERVER && action != IPVSD_FLOW_NAT_TO_CLIENT && action != IPVSD_FLOW_ROUTE &&
      action != IPVSD_FLOW_TUNNEL)
    return IPVSD_PUNT;
  /* fwd/xmit_checks.h: user space answers these with an ICMP error. */
  if (p->ttl <= 1 || p->ip_len > flow->mtu) return IPVSD_PUNT;
  if (out_ifindex != ctx->ingress_ifindex && !bpf_map_lookup_elem(&ipvsd_tx_ports, &out_ifindex))
    return IPVSD_PUNT;

  if (action == IPVSD_FLOW_TUNNEL) return ForwardTunnel(ctx, eth, ifslot, p, flow, out_ifindex, end);

  struct ipvsd_rewrite rw = {};
  __u64 addr_delta = 0;
  __u64 port_delta = 0;
  if (action != IPVSD_FLOW_ROUTE) PlanNat(p, flow, action, &rw, &addr_delta, &port_delta);
  if (!PlanL4Check(ctx, eth, p, action, ifslot->native, addr_delta, port_delta, &rw.l4_check)) return IPVSD_PUNT;
  if (p->family == IPVSD_AF_INET) rw.ip_check = NewIpv4Check(p->l3, addr_delta);

  /* Every check has passed: from here on the packet is written, and it leaves. */
  Rewrite(eth, p, flow, action, &rw);
  Count(flow, p->ip_len);
  if (out_ifindex == ctx->ingress_ifindex) return XDP_TX;
  return bpf_redirect_map(&ipvsd_tx_ports, out_ifindex, 0);
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

  struct ipvsd_plain plain = {};
  int ours = 0;
  if (ethertype == bpf_htons(ETH_P_IP))
    ours = Ipv4IsOurs(l3, end, &plain);
  else if (ethertype == bpf_htons(ETH_P_IPV6))
    ours = Ipv6IsOurs(l3, end, &plain);
  if (!ours) return XDP_PASS;

  /* An established flow's packet may leave from here (flow offload). */
  if (plain.protocol) {
    int action = ForwardFlow(ctx, eth, ifslot, &plain, end);
    if (action != IPVSD_PUNT) return action;
  }
  return bpf_redirect_map(&ipvsd_xsks, ifslot->slot * IPVSD_XDP_MAX_QUEUES + queue, XDP_DROP);
}

char _license[] SEC("license") = "GPL";
