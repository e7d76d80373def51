/* File: io/af_xdp/xdp_maps.h
 *
 * The contract between the XDP program (ipvsd_xdp.bpf.c, compiled for the BPF target) and
 * the user-space side that fills its maps (xdp_program.cc): map names, key layouts and
 * limits. Plain C with <linux/types.h> so that clang -target bpf and g++ read the same
 * bytes; a layout change here changes both sides at once.
 */
#ifndef IPVSD_IO_AF_XDP_XDP_MAPS_H_
#define IPVSD_IO_AF_XDP_XDP_MAPS_H_

#include <linux/types.h>

/* Interfaces one program instance set serves, and rx queues per interface. The XSKMAP is
 * indexed by slot * IPVSD_XDP_MAX_QUEUES + rx queue, the slot coming from ipvsd_ifslots, so
 * that one map holds the sockets of every interface (each interface has its own queue 0). */
#define IPVSD_XDP_MAX_IFACES 16
#define IPVSD_XDP_MAX_QUEUES 64
#define IPVSD_XDP_MAX_MATCHES 65536

/* The program's name, as DetachStale looks for it on an interface (BPF keeps 15 chars). */
#define IPVSD_XDP_PROG_NAME "ipvsd_xdp"

/* (protocol, address, port) of a service (destination side) or of a NAT real server
 * (source side). family is AF_INET (2) or AF_INET6 (10); an IPv4 address fills addr[0..3]
 * and leaves the rest zero; port is in network byte order, 0 = every port. */
struct ipvsd_l4_key {
  __u8 family;
  __u8 protocol;
  __be16 port;
  __u8 addr[16];
};

/* An attached interface: its slot in the XSKMAP and its MAC address, read when the program is
 * attached (a later MAC change needs a restart of ipvsd). The program takes no unicast frame
 * sent to another address: a bridge floods frames for a MAC it no longer knows (a failed
 * director's) to every port, and a second director must not forward them too. */
struct ipvsd_ifslot {
  __u32 slot;
  __u8 mac[6];
  /* 1 when the program runs in the driver (native mode) on this interface, 0 in the skb path.
   * Flow offload completes a partial TCP/UDP checksum only in native mode: in the skb path the
   * kernel keeps the skb's checksum offload state and would finish the checksum itself over
   * what the program wrote, so such packets go to user space there. */
  __u8 native;
  __u8 pad;
};

/* A service address, for fragments: they carry no ports, so only the address can say that
 * they belong to a virtual service. */
struct ipvsd_addr_key {
  __u8 family;
  __u8 pad[3];
  __u8 addr[16];
};

/* Flow offload (io/flow_offload.h): one direction of an established connection, forwarded by
 * the program itself. The key is the packet's 5-tuple as it arrives; ports in network byte
 * order, an IPv4 address in addr[0..3] with the rest zero. */
#define IPVSD_XDP_MAX_FLOWS 262144

struct ipvsd_flow_key {
  __u8 family;
  __u8 protocol;
  __be16 sport;
  __be16 dport;
  __u8 pad[2];
  __u8 saddr[16];
  __u8 daddr[16];
};

#define IPVSD_FLOW_NAT_TO_SERVER 1 /* daddr:dport become new_addr:new_port */
#define IPVSD_FLOW_NAT_TO_CLIENT 2 /* saddr:sport become new_addr:new_port */
#define IPVSD_FLOW_ROUTE 3         /* TTL and MACs only (DR) */
#define IPVSD_FLOW_TUNNEL 4        /* TTL, then wrapped as `tunnel` says (TUN) */

#define IPVSD_TUN_IPIP 0
#define IPVSD_TUN_GUE 1
#define IPVSD_TUN_GRE 2

/* The outer headers of a TUN flow (fwd/tun.h, net/encap.h). What depends only on the flow is
 * worked out by user space: the GUE source port and the flow hash the outer IPv4 ID is derived
 * from (fwd::TunnelFlowHash). */
struct ipvsd_flow_tunnel {
  __u8 family; /* outer: AF_INET or AF_INET6 */
  __u8 type;   /* IPVSD_TUN_* */
  __u8 csum;   /* GUE: the UDP checksum is computed; GRE: checksum present */
  __u8 pad;
  __be16 udp_sport; /* GUE */
  __be16 udp_dport; /* GUE */
  __u32 flow_hash;
  __u8 saddr[16]; /* the director's address toward the real server */
  __u8 daddr[16]; /* the real server's */
};

/* What to do with a flow's packets, written by user space, and what the program counted,
 * written by the program (atomic adds; last_seen_ns is bpf_ktime_get_ns(), CLOCK_MONOTONIC).
 * A packet the program cannot forward exactly as user space would goes on to the AF_XDP
 * socket untouched and is not counted here. */
struct ipvsd_flow {
  __u8 action; /* IPVSD_FLOW_* */
  __u8 pad;
  __be16 new_port;
  __u32 ifindex; /* egress; the ingress interface means XDP_TX */
  __u32 mtu;     /* path MTU (TUN: what the tunnel leaves of it): a longer IP packet goes up */
  __u8 dst_mac[6];
  __u8 src_mac[6];
  __u8 new_addr[16];
  struct ipvsd_flow_tunnel tunnel; /* IPVSD_FLOW_TUNNEL only */
  __u64 packets;
  __u64 bytes; /* IP lengths */
  __u64 last_seen_ns;
};

#endif /* IPVSD_IO_AF_XDP_XDP_MAPS_H_ */
