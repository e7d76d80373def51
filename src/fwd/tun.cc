#include "fwd/tun.h"

#include "base/hash.h"
#include "fwd/xmit_checks.h"
#include "net/checksum.h"
#include "net/encap.h"
#include "net/headers.h"

namespace ipvsd::fwd {
namespace {

constexpr uint32_t kIpv4MinMtu = 68;
constexpr uint32_t kIpv6MinMtu = 1280;

// --tun-csum and --tun-remcsum both ask for the outer checksum (see tun.h, point 7).
bool WantsChecksum(const core::Dest& dest) { return dest.tun_csum() != core::TunCsum::kNoCsum; }

// The inner DS field: IPv4 TOS, or the IPv6 traffic class.
uint8_t InnerDsField(const net::PacketView& pkt) {
  if (pkt.family == net::Family::kInet6) {
    return static_cast<uint8_t>(net::HeaderAt<net::Ipv6Hdr>(pkt.l3())->ver_tc_flow.get() >> 20);
  }
  return net::HeaderAt<net::Ipv4Hdr>(pkt.l3())->tos;
}

uint16_t Fold16(uint64_t h) { return static_cast<uint16_t>(h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48)); }

// The 32-bit transport word that changes from packet to packet of a flow: the TCP sequence
// number, the UDP length and checksum; 0 when the packet is too short to have one.
uint32_t VaryingL4Word(const net::PacketView& pkt) {
  constexpr uint32_t kOffset = 4;
  if (pkt.l4_len() < kOffset + 4) return 0;
  return net::HeaderAt<net::Be32>(pkt.l4() + kOffset)->get();
}

}  // namespace

net::EncapType ToEncapType(core::TunType t) {
  switch (t) {
    case core::TunType::kGue:
      return net::EncapType::kGue;
    case core::TunType::kGre:
      return net::EncapType::kGre;
    case core::TunType::kIpip:
      break;
  }
  return net::EncapType::kIpip;
}

uint16_t OuterIpId(const net::PacketView& pkt) {
  uint64_t flow = TunnelFlowHash(pkt);
  if (pkt.family == net::Family::kInet) {
    return static_cast<uint16_t>(net::HeaderAt<net::Ipv4Hdr>(pkt.l3())->id.get() ^ Fold16(flow));
  }
  return Fold16(HashCombine(flow, (uint64_t{pkt.l3_len()} << 32) | VaryingL4Word(pkt)));
}

uint32_t TunnelInnerMtu(const core::Dest& dest, net::Family outer_family, uint32_t path_mtu) {
  uint32_t overhead = net::EncapOverhead(outer_family, ToEncapType(dest.tun_type()), WantsChecksum(dest));
  uint32_t min = outer_family == net::Family::kInet6 ? kIpv6MinMtu : kIpv4MinMtu;
  if (path_mtu < overhead + min) return 0;
  return path_mtu - overhead;
}

uint32_t TunnelFlowHash(const net::PacketView& pkt) {
  uint64_t h = Mix64(pkt.protocol);
  for (int i = 0; i < 4; ++i) {
    h = HashCombine(h, (uint64_t{pkt.src.Word(i)} << 32) | pkt.dst.Word(i));
  }
  h = HashCombine(h, (uint64_t{pkt.sport} << 16) | pkt.dport);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

FwdStatus TunXmit(net::Frame& frame, const net::PacketView& pkt, const core::ConnEntry& conn, const core::Dest& dest,
                  const net::RawAddr& saddr, uint32_t mtu, uint32_t* mtu_out) {
  if (pkt.family != conn.af) return FwdStatus::kUnsupported;
  if (TtlExpired(pkt)) return FwdStatus::kTtlExceeded;
  uint32_t inner_mtu = TunnelInnerMtu(dest, conn.daf, mtu);
  if (inner_mtu == 0) return FwdStatus::kUnsupported;
  if (ExceedsMtu(pkt, inner_mtu)) {
    *mtu_out = inner_mtu;
    return FwdStatus::kTooBig;
  }
  net::EncapType type = ToEncapType(dest.tun_type());
  bool csum = WantsChecksum(dest);
  if (frame.offset < net::EncapOverhead(conn.daf, type, csum)) return FwdStatus::kNoHeadroom;
  if (!net::EncapFits(conn.daf, type, csum, pkt.l3_len())) return FwdStatus::kUnsupported;

  // Taken before the TTL changes: the ID hashes the packet as it arrived.
  uint16_t ip_id = OuterIpId(pkt);
  DecrementTtl(pkt);
  bool df = false;
  if (pkt.family == net::Family::kInet) {
    net::SetIpv4HeaderChecksum(pkt.l3());
    df = (net::HeaderAt<net::Ipv4Hdr>(pkt.l3())->frag_off.get() & net::kIpv4Df) != 0;
  }
  net::EncapParams params;
  params.type = type;
  params.outer_family = conn.daf;
  params.saddr = saddr;
  params.daddr = conn.daddr;
  params.tos = net::EcnEncapsulate(InnerDsField(pkt));
  params.ttl = static_cast<uint8_t>(pkt.ttl - 1);
  params.df = df;
  params.ip_id = df ? 0 : ip_id;
  params.udp_sport = type == net::EncapType::kGue ? net::GueSourcePort(TunnelFlowHash(pkt)) : 0;
  params.udp_dport = dest.tun_port();
  params.csum = csum;
  // Headroom and length were checked above: this cannot fail.
  net::Encapsulate(frame, pkt.l3_offset, pkt.l3_len(), pkt.family, params);
  return FwdStatus::kOk;
}

}  // namespace ipvsd::fwd
