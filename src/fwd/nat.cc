#include "fwd/nat.h"

#include <cstring>

#include "fwd/xmit_checks.h"
#include "net/checksum.h"
#include "net/crc32c.h"
#include "net/headers.h"

namespace ipvsd::fwd {
namespace {

using net::Family;
using net::RawAddr;

enum class Side : uint8_t { kSource, kDest };

// Where the source or destination address of the IP header at `l3` lives.
uint8_t* AddrField(uint8_t* l3, Family family, Side side) {
  if (family == Family::kInet6) {
    auto* ip6 = net::HeaderAt<net::Ipv6Hdr>(l3);
    return side == Side::kSource ? ip6->saddr : ip6->daddr;
  }
  auto* ip = net::HeaderAt<net::Ipv4Hdr>(l3);
  return side == Side::kSource ? ip->saddr : ip->daddr;
}

void WriteAddr(uint8_t* field, Family family, const RawAddr& addr) {
  std::memcpy(field, addr.bytes.data(), static_cast<size_t>(net::AddrLength(family)));
}

// TCP, UDP and SCTP all open with source port, destination port.
net::Be16* PortField(uint8_t* l4, Side side) {
  auto* ports = net::HeaderAt<net::UdpHdr>(l4);
  return side == Side::kSource ? &ports->source : &ports->dest;
}

// Rewrites one endpoint (address + port) of a TCP/UDP/SCTP/other packet and keeps its
// transport checksum valid the way the protocol's nat handler does. The address in the IP
// header has already been replaced; `old_addr`/`new_addr` tell what changed under the
// pseudo-header. new_port 0 keeps the packet's port.
void TranslateTransport(const net::PacketView& pkt, Side side, const RawAddr& old_addr, const RawAddr& new_addr,
                        uint16_t new_port) {
  uint8_t* l4 = pkt.l4();
  uint16_t old_port = side == Side::kSource ? pkt.sport : pkt.dport;
  if (new_port == 0) new_port = old_port;
  switch (pkt.protocol) {
    case net::kProtoTcp: {
      auto* tcp = net::HeaderAt<net::TcpHdr>(l4);
      uint16_t check = net::ChecksumReplaceAddr(tcp->check.get(), pkt.family, old_addr, new_addr);
      tcp->check.set(net::ChecksumReplace16(check, old_port, new_port));
      PortField(l4, side)->set(new_port);
      return;
    }
    case net::kProtoUdp: {
      auto* udp = net::HeaderAt<net::UdpHdr>(l4);
      PortField(l4, side)->set(new_port);
      uint16_t check;
      if (udp->check.get() != 0) {
        check = net::ChecksumReplaceAddr(udp->check.get(), pkt.family, old_addr, new_addr);
        check = net::ChecksumReplace16(check, old_port, new_port);
      } else {
        // The datagram carried no checksum (IPv4) or an invalid zero (IPv6): the kernel
        // computes a full one here rather than leaving it out.
        const RawAddr& src = side == Side::kSource ? new_addr : pkt.src;
        const RawAddr& dst = side == Side::kDest ? new_addr : pkt.dst;
        check = net::L4Checksum(pkt.family, src, dst, net::kProtoUdp, l4, pkt.l4_len());
      }
      // 0 means "no checksum" in UDP; a computed 0 goes out as its other form (CSUM_MANGLED_0).
      udp->check.set(check == 0 ? 0xffff : check);
      return;
    }
    case net::kProtoSctp:
      if (new_port != old_port) {
        PortField(l4, side)->set(new_port);
        net::SetSctpChecksum(l4, pkt.l4_len());
      }
      return;
    default:
      return;
  }
}

// One direction of NAT for a plain (non-ICMP-error) packet.
FwdStatus Translate(const net::PacketView& pkt, const core::ConnEntry& conn, Side side, const RawAddr& new_addr,
                    uint16_t new_port, uint32_t mtu, uint32_t* mtu_out) {
  if (pkt.family != conn.af) return FwdStatus::kUnsupported;
  if (TtlExpired(pkt)) return FwdStatus::kTtlExceeded;
  if (ExceedsMtu(pkt, mtu)) {
    *mtu_out = mtu;
    return FwdStatus::kTooBig;
  }
  DecrementTtl(pkt);
  const RawAddr& old_addr = side == Side::kSource ? pkt.src : pkt.dst;
  WriteAddr(AddrField(pkt.l3(), pkt.family, side), pkt.family, new_addr);
  TranslateTransport(pkt, side, old_addr, new_addr, new_port);
  if (pkt.family == Family::kInet) net::SetIpv4HeaderChecksum(pkt.l3());
  return FwdStatus::kOk;
}

// ip_vs_nat_icmp / ip_vs_nat_icmp_v6. `outer_side` is the endpoint of the error itself that
// changes; the quoted packet travelled the other way, so its opposite endpoint changes.
FwdStatus TranslateIcmpError(const net::PacketView& pkt, const core::ConnEntry& conn, Side outer_side,
                             const RawAddr& new_addr, uint16_t new_port) {
  const net::InnerPacket& inner = pkt.inner;
  if (!pkt.icmp_error || pkt.family != conn.af || inner.family != pkt.family) return FwdStatus::kUnsupported;
  if (TtlExpired(pkt)) return FwdStatus::kTtlExceeded;
  DecrementTtl(pkt);

  Side inner_side = outer_side == Side::kSource ? Side::kDest : Side::kSource;
  uint8_t* inner_l3 = pkt.data + inner.l3_offset;
  WriteAddr(AddrField(pkt.l3(), pkt.family, outer_side), pkt.family, new_addr);
  WriteAddr(AddrField(inner_l3, inner.family, inner_side), inner.family, new_addr);

  bool has_ports = inner.protocol == net::kProtoTcp || inner.protocol == net::kProtoUdp ||
                   inner.protocol == net::kProtoSctp;
  if (has_ports && new_port != 0) PortField(pkt.data + inner.l4_offset, inner_side)->set(new_port);

  uint8_t* icmp = pkt.l4();
  uint32_t icmp_len = pkt.l4_len();
  if (pkt.family == Family::kInet) {
    net::SetIpv4HeaderChecksum(inner_l3);
    net::SetIpv4HeaderChecksum(pkt.l3());
    auto* hdr = net::HeaderAt<net::IcmpHdr>(icmp);
    hdr->check.set(0);
    hdr->check.set(net::InternetChecksum(icmp, icmp_len));
  } else {
    auto* hdr = net::HeaderAt<net::Icmpv6Hdr>(icmp);
    const RawAddr& src = outer_side == Side::kSource ? new_addr : pkt.src;
    const RawAddr& dst = outer_side == Side::kDest ? new_addr : pkt.dst;
    hdr->check.set(0);
    hdr->check.set(net::L4Checksum(Family::kInet6, src, dst, net::kProtoIcmpv6, icmp, icmp_len));
  }
  return FwdStatus::kOk;
}

}  // namespace

FwdStatus NatIn(const net::PacketView& pkt, const core::ConnEntry& conn, uint32_t mtu, uint32_t* mtu_out) {
  return Translate(pkt, conn, Side::kDest, conn.daddr, conn.dport, mtu, mtu_out);
}

FwdStatus NatOut(const net::PacketView& pkt, const core::ConnEntry& conn, uint32_t mtu, uint32_t* mtu_out) {
  return Translate(pkt, conn, Side::kSource, conn.vaddr, conn.vport, mtu, mtu_out);
}

FwdStatus NatIcmpOut(const net::PacketView& pkt, const core::ConnEntry& conn) {
  return TranslateIcmpError(pkt, conn, Side::kSource, conn.vaddr, conn.vport);
}

FwdStatus NatIcmpIn(const net::PacketView& pkt, const core::ConnEntry& conn) {
  return TranslateIcmpError(pkt, conn, Side::kDest, conn.daddr, conn.dport);
}

}  // namespace ipvsd::fwd
