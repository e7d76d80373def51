#include "io/af_xdp/xdp_flows.h"

#include <arpa/inet.h>

#include <cstring>

namespace ipvsd::io {
namespace {

uint8_t ActionOf(FlowAction a) {
  switch (a) {
    case FlowAction::kNatToServer: return IPVSD_FLOW_NAT_TO_SERVER;
    case FlowAction::kNatToClient: return IPVSD_FLOW_NAT_TO_CLIENT;
    case FlowAction::kRoute: break;
  }
  return IPVSD_FLOW_ROUTE;
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
  if (rule.action != FlowAction::kRoute) CopyAddr(f.new_addr, rule.key.family, rule.new_addr);
  f.last_seen_ns = now_ns;
  return f;
}

}  // namespace ipvsd::io
