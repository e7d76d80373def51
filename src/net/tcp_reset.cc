#include "net/tcp_reset.h"

#include <cstring>

#include "net/checksum.h"
#include "net/headers.h"
#include "net/reply.h"

namespace ipvsd::net {

bool MayReset(const PacketView& orig) {
  return orig.protocol == kProtoTcp && !(orig.tcp_flags & kTcpRst) && MayAnswer(orig);
}

uint32_t BuildTcpReset(Frame& frame, const PacketView& orig) {
  if (!MayReset(orig)) return 0;
  const auto* in = HeaderAt<TcpHdr>(orig.l4());
  uint32_t seg_len = orig.l4_len() - static_cast<uint32_t>(in->header_len());
  if (orig.tcp_flags & kTcpSyn) ++seg_len;
  if (orig.tcp_flags & kTcpFin) ++seg_len;
  // Everything the reset needs from the segment, before it is overwritten.
  const bool has_ack = orig.tcp_flags & kTcpAck;
  const uint32_t seq = has_ack ? in->ack_seq.get() : 0;
  const uint32_t ack = has_ack ? 0 : in->seq.get() + seg_len;
  const uint16_t sport = orig.dport;
  const uint16_t dport = orig.sport;
  const RawAddr src = orig.dst;
  const RawAddr dst = orig.src;
  const bool v6 = orig.family == Family::kInet6;
  const uint32_t l2_len = orig.l3_offset;
  const uint32_t ip_len = v6 ? sizeof(Ipv6Hdr) : sizeof(Ipv4Hdr);

  uint8_t* data = frame.data();
  SwapMacs(data, l2_len);
  uint8_t* ip = data + l2_len;
  if (v6) {
    auto* h = HeaderAt<Ipv6Hdr>(ip);
    h->ver_tc_flow.set(6u << 28);
    h->payload_len.set(sizeof(TcpHdr));
    h->nexthdr = kProtoTcp;
    h->hop_limit = 64;
    std::memcpy(h->saddr, src.bytes.data(), 16);
    std::memcpy(h->daddr, dst.bytes.data(), 16);
  } else {
    auto* h = HeaderAt<Ipv4Hdr>(ip);
    h->version_ihl = 0x45;
    h->tos = 0;
    h->total_len.set(sizeof(Ipv4Hdr) + sizeof(TcpHdr));
    h->id.set(0);
    h->frag_off.set(kIpv4Df);
    h->ttl = 64;
    h->protocol = kProtoTcp;
    std::memcpy(h->saddr, src.bytes.data(), 4);
    std::memcpy(h->daddr, dst.bytes.data(), 4);
    SetIpv4HeaderChecksum(ip);
  }
  auto* tcp = HeaderAt<TcpHdr>(ip + ip_len);
  std::memset(tcp, 0, sizeof(TcpHdr));
  tcp->source.set(sport);
  tcp->dest.set(dport);
  tcp->seq.set(seq);
  tcp->ack_seq.set(ack);
  tcp->doff_res = (sizeof(TcpHdr) / 4) << 4;
  tcp->flags = has_ack ? kTcpRst : static_cast<uint8_t>(kTcpRst | kTcpAck);
  Family f = v6 ? Family::kInet6 : Family::kInet;
  tcp->check.set(L4Checksum(f, src, dst, kProtoTcp, reinterpret_cast<const uint8_t*>(tcp), sizeof(TcpHdr)));
  frame.len = l2_len + ip_len + sizeof(TcpHdr);
  return frame.len;
}

}  // namespace ipvsd::net
