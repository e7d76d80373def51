// File: io/flow_offload.h
//
// FlowOffload is how a worker hands the packets of an established flow to a forwarder below
// it (the XDP program, io/af_xdp/ipvsd_xdp.bpf.c), so that they no longer cross into user
// space: one direction of one connection, matched on its 5-tuple as it arrives, with the
// rewrite its forwarding method makes and the next hop it leaves through. The worker stays
// the brain: it installs a flow only once the connection is established, takes it back when
// the connection closes, expires, loses its real server or its next hop changes, and reads
// the flow's counters and last-seen time into its statistics and timers (docs/architecture.md,
// "Flow offload").
//
// Only what the forwarder can do exactly as the user-space forwarders do is offloaded (NAT's
// address and port rewrite, DR's MAC rewrite, TUN's encapsulation); the forwarder hands every
// other packet of an offloaded flow up as before: TCP SYN/FIN/RST, fragments, packets over the
// path MTU or with a TTL that runs out, ICMP errors.
//
// Calls are per flow, never per packet; each may be a system call.
#pragma once

#include <cstdint>

#include "net/encap.h"
#include "net/headers.h"
#include "net/ip_addr.h"

namespace ipvsd::io {

// One direction of a flow as its packets arrive. Ports in host order.
struct FlowKey {
  net::Family family = net::Family::kUnspec;
  uint8_t protocol = 0;
  net::RawAddr src;
  net::RawAddr dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
};

enum class FlowAction : uint8_t {
  kNatToServer,  // destination address and port become new_addr:new_port (NAT, client -> real server)
  kNatToClient,  // source address and port become new_addr:new_port (NAT reply, real server -> client)
  kRoute,        // the packet goes on unchanged but for its TTL and MACs (DR)
  kTunnel,       // the packet, its TTL one less, is wrapped in `tunnel`'s outer headers (TUN)
};

// TUN's outer headers, as fwd::TunXmit writes them; what depends only on the flow is given.
struct FlowTunnel {
  net::Family family = net::Family::kInet;  // outer
  net::EncapType type = net::EncapType::kIpip;
  bool csum = false;       // GUE: the UDP checksum is computed; GRE: checksum present
  uint16_t udp_sport = 0;  // GUE; host order
  uint16_t udp_dport = 0;  // GUE; host order
  uint32_t flow_hash = 0;  // fwd::TunnelFlowHash of the flow: the outer IPv4 ID derives from it
  net::RawAddr saddr;      // the director's address toward the real server
  net::RawAddr daddr;      // the real server's
};

struct FlowRule {
  FlowKey key;
  FlowAction action = FlowAction::kRoute;
  net::RawAddr new_addr;  // NAT only; the key's family
  uint16_t new_port = 0;  // NAT only; host order
  FlowTunnel tunnel;      // kTunnel only
  // The next hop: the interface the packet leaves through, its MACs, and the path MTU
  // (a longer packet goes up to user space, which answers as for any other; for kTunnel the
  // MTU the tunnel leaves an inner packet).
  uint32_t ifindex = 0;
  net::MacAddr src_mac{};
  net::MacAddr dst_mac{};
  uint32_t mtu = 0;
};

// What the forwarder did with a flow since it was installed.
struct FlowCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;       // IP lengths, as the connection statistics count them
  uint64_t idle_ns = 0;     // since its last packet (since installation when none came)
};

class FlowOffload {
 public:
  virtual ~FlowOffload() = default;
  // False when the flow cannot be offloaded (its egress interface cannot take redirected
  // frames, or the forwarder's table is full): its packets keep coming up.
  virtual bool Install(const FlowRule& rule) = 0;
  // Takes a flow back, its packets come up again, and gives its last counters (read in the
  // same step, so none are lost). False when it was not installed.
  virtual bool Remove(const FlowKey& key, FlowCounters* last) = 0;
  // False when the flow is not installed.
  virtual bool Read(const FlowKey& key, FlowCounters* out) = 0;
};

}  // namespace ipvsd::io
