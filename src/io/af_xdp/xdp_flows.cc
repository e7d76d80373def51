#include "io/af_xdp/xdp_flows.h"

#include <arpa/inet.h>

#include <cstring>

namespace ipvsd::io {
namespace {

uint8_t ActionOf(FlowAction a) {
  switch (a) {
    case FlowAction::kNatToServer: return IPVSD_FLOW_NAT_TO_SERVER;
    case FlowAction::kNatToClient: return IPVSD_FLOW_NAT_TO_CLIENT;
    case FlowAction::kTunnel: return IPVSD_FLOW_TUNNEL;
    case FlowAction::kRoute: break;
  }
  return IPVSD_FLOW_ROUTE;
}

uint8_t TunTypeOf(net::EncapType t) {
  switch (t) {
    case net::EncapType::kGue: return IPVSD_TUN_GUE;
    case net::EncapType::kGre: return IPVSD_TUN_GRE;
    case net::EncapType::kIpip: break;
  }
  return IPVSD_TUN_IPIP;
}

void CopyAddr(uint8_t (&to)[16], net::Family family, const net::RawAddr& from) {
  std::memset(to, 0, sizeof(to));
  std::memcpy(to, from.bytes.data(), static_cast<size_t>(net::AddrLength(family)));
}

}  // namespace

ipvsd_flow_key EncodeFlowKey(const FlowKey& key) {
  ipvsd_flow_key k;
  std::memset(&k, 0, sizeof(k));
  k.family = static_cast<uint8_t>(key.family);
  k.protocol = key.protocol;
  k.sport = htons(key.sport);
  k.dport = htons(key.dport);
  CopyAddr(k.saddr, key.family, key.src);
  CopyAddr(k.daddr, key.family, key.dst);
  return k;
}

ipvsd_flow EncodeFlow(const FlowRule& rule, uint64_t now_ns) {
  ipvsd_flow f;
  std::memset(&f, 0, sizeof(f));
  f.action = ActionOf(rule.action);
  f.new_port = htons(rule.new_port);
  f.ifindex = rule.ifindex;
  f.mtu = rule.mtu;
  std::memcpy(f.dst_mac, rule.dst_mac.bytes, 6);
  std::memcpy(f.src_mac, rule.src_mac.bytes, 6);
  if (rule.action == FlowAction::kNatToServer || rule.action == FlowAction::kNatToClient) {
    CopyAddr(f.new_addr, rule.key.family, rule.new_addr);
  }
  if (rule.action == FlowAction::kTunnel) {
    const FlowTunnel& t = rule.tunnel;
    f.tunnel.family = static_cast<uint8_t>(t.family);
    f.tunnel.type = TunTypeOf(t.type);
    f.tunnel.csum = t.csum ? 1 : 0;
    f.tunnel.udp_sport = htons(t.udp_sport);
    f.tunnel.udp_dport = htons(t.udp_dport);
    f.tunnel.flow_hash = t.flow_hash;
    CopyAddr(f.tunnel.saddr, t.family, t.saddr);
    CopyAddr(f.tunnel.daddr, t.family, t.daddr);
  }
  f.last_seen_ns = now_ns;
  return f;
}

}  // namespace ipvsd::io
