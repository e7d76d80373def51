#include "tests/testing/packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "tests/testing/checksum_verify.h"

namespace ipvsd::testing {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "PacketBuilder: %s\n", what.c_str());
  std::abort();
}

void Put8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }
void Put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void Put32(std::vector<uint8_t>& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}
void Set16(std::vector<uint8_t>& out, size_t at, uint16_t v) {
  out[at] = static_cast<uint8_t>(v >> 8);
  out[at + 1] = static_cast<uint8_t>(v);
}
void Append(std::vector<uint8_t>& out, const std::vector<uint8_t>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}
void PadToMultiple(std::vector<uint8_t>& bytes, size_t multiple) {
  while (bytes.size() % multiple != 0) bytes.push_back(0);
}

std::array<uint8_t, 6> ParseMac(std::string_view text) {
  std::array<uint8_t, 6> mac{};
  unsigned b[6];
  char tail = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) {
    Fail("bad MAC address '" + s + "'");
  }
  for (size_t i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(b[i]);
  return mac;
}

std::array<uint8_t, 16> ParseAddr(std::string_view text, bool v6) {
  std::array<uint8_t, 16> addr{};
  std::string s(text);
  if (inet_pton(v6 ? AF_INET6 : AF_INET, s.c_str(), addr.data()) != 1) {
    Fail(std::string("bad ") + (v6 ? "IPv6" : "IPv4") + " address '" + s + "'");
  }
  return addr;
}

uint32_t PseudoHeaderSum(bool v6, const std::array<uint8_t, 16>& src, const std::array<uint8_t, 16>& dst,
                         uint8_t protocol, size_t l4_len) {
  size_t addr_len = v6 ? 16 : 4;
  std::vector<uint8_t> pseudo(src.begin(), src.begin() + static_cast<long>(addr_len));
  pseudo.insert(pseudo.end(), dst.begin(), dst.begin() + static_cast<long>(addr_len));
  Put16(pseudo, 0);
  Put8(pseudo, 0);
  Put8(pseudo, protocol);
  Put16(pseudo, static_cast<uint16_t>(l4_len));
  return OnesComplementSum(pseudo);
}

// An IP header for `payload` (already complete), with IPv4 options or IPv6 extension headers
// given as finished bytes, followed by the payload.
std::vector<uint8_t> Ipv4Packet(bool df, bool mf, uint16_t frag_offset, uint8_t ttl, uint8_t tos, uint16_t id,
                                const std::array<uint8_t, 16>& src, const std::array<uint8_t, 16>& dst,
                                uint8_t protocol, const std::vector<uint8_t>& options,
                                const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> p;
  size_t header_len = 20 + options.size();
  Put8(p, static_cast<uint8_t>(0x40 | header_len / 4));
  Put8(p, tos);
  Put16(p, static_cast<uint16_t>(header_len + payload.size()));
  Put16(p, id);
  Put16(p, static_cast<uint16_t>((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (frag_offset & 0x1fff)));
  Put8(p, ttl);
  Put8(p, protocol);
  Put16(p, 0);
  p.insert(p.end(), src.begin(), src.begin() + 4);
  p.insert(p.end(), dst.begin(), dst.begin() + 4);
  Append(p, options);
  Set16(p, 10, OnesComplementChecksum(OnesComplementSum(p)));
  Append(p, payload);
  return p;
}

std::vector<uint8_t> Ipv6Packet(uint8_t hop_limit, uint8_t traffic_class, const std::array<uint8_t, 16>& src,
                                const std::array<uint8_t, 16>& dst, uint8_t first_next_header,
                                const std::vector<uint8_t>& ext_headers, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> p;
  Put32(p, 0x60000000u | uint32_t{traffic_class} << 20);
  Put16(p, static_cast<uint16_t>(ext_headers.size() + payload.size()));
  Put8(p, first_next_header);
  Put8(p, hop_limit);
  p.insert(p.end(), src.begin(), src.end());
  p.insert(p.end(), dst.begin(), dst.end());
  Append(p, ext_headers);
  Append(p, payload);
  return p;
}

}  // namespace

PacketBuilder& PacketBuilder::Eth(std::string_view src_mac, std::string_view dst_mac) {
  src_mac_ = ParseMac(src_mac);
  dst_mac_ = ParseMac(dst_mac);
  return *this;
}

PacketBuilder& PacketBuilder::Vlan(uint16_t tci, uint16_t tpid) {
  vlans_.push_back({tpid, tci});
  return *this;
}

PacketBuilder& PacketBuilder::Ipv4(std::string_view src, std::string_view dst) {
  ip_.set = true;
  ip_.v6 = false;
  ip_.src = ParseAddr(src, false);
  ip_.dst = ParseAddr(dst, false);
  return *this;
}

PacketBuilder& PacketBuilder::Ipv6(std::string_view src, std::string_view dst) {
  ip_.set = true;
  ip_.v6 = true;
  ip_.src = ParseAddr(src, true);
  ip_.dst = ParseAddr(dst, true);
  return *this;
}

PacketBuilder& PacketBuilder::Ipv4Options(std::vector<uint8_t> options) {
  PadToMultiple(options, 4);
  if (options.size() > 40) Fail("IPv4 options longer than 40 bytes");
  ipv4_options_ = std::move(options);
  return *this;
}

PacketBuilder& PacketBuilder::Ipv6ExtHeader(uint8_t type, std::vector<uint8_t> body) {
  ipv6_ext_.push_back({type, std::move(body)});
  return *this;
}

PacketBuilder& PacketBuilder::Ttl(uint8_t ttl) {
  ip_.ttl = ttl;
  return *this;
}

PacketBuilder& PacketBuilder::Tos(uint8_t tos) {
  ip_.tos = tos;
  return *this;
}

PacketBuilder& PacketBuilder::Id(uint16_t id) {
  ip_.id = id;
  return *this;
}

PacketBuilder& PacketBuilder::Df(bool df) {
  ip_.df = df;
  return *this;
}

PacketBuilder& PacketBuilder::MoreFragments(bool more) {
  more_fragments_ = more;
  return *this;
}

PacketBuilder& PacketBuilder::FragmentOffset(uint16_t offset_in_8_bytes) {
  fragment_offset_ = offset_in_8_bytes;
  return *this;
}

PacketBuilder& PacketBuilder::Tcp(uint16_t sport, uint16_t dport, uint8_t flags) {
  l4_ = L4::kTcp;
  sport_ = sport;
  dport_ = dport;
  tcp_flags_ = flags;
  return *this;
}

PacketBuilder& PacketBuilder::TcpSeq(uint32_t seq, uint32_t ack) {
  tcp_seq_ = seq;
  tcp_ack_ = ack;
  return *this;
}

PacketBuilder& PacketBuilder::TcpWindow(uint16_t window) {
  tcp_window_ = window;
  return *this;
}

PacketBuilder& PacketBuilder::TcpOptions(std::vector<uint8_t> options) {
  PadToMultiple(options, 4);
  if (options.size() > 40) Fail("TCP options longer than 40 bytes");
  tcp_options_ = std::move(options);
  return *this;
}

PacketBuilder& PacketBuilder::Udp(uint16_t sport, uint16_t dport) {
  l4_ = L4::kUdp;
  sport_ = sport;
  dport_ = dport;
  return *this;
}

PacketBuilder& PacketBuilder::UdpZeroChecksum() {
  udp_zero_checksum_ = true;
  return *this;
}

PacketBuilder& PacketBuilder::Sctp(uint16_t sport, uint16_t dport, uint32_t vtag, uint8_t chunk_type) {
  l4_ = L4::kSctp;
  sport_ = sport;
  dport_ = dport;
  sctp_vtag_ = vtag;
  sctp_chunk_type_ = chunk_type;
  return *this;
}

PacketBuilder& PacketBuilder::Icmp(uint8_t type, uint8_t code, uint32_t rest) {
  l4_ = L4::kIcmp;
  icmp_type_ = type;
  icmp_code_ = code;
  icmp_rest_ = rest;
  return *this;
}

PacketBuilder& PacketBuilder::Icmpv6(uint8_t type, uint8_t code, uint32_t rest) {
  l4_ = L4::kIcmpv6;
  icmp_type_ = type;
  icmp_code_ = code;
  icmp_rest_ = rest;
  return *this;
}

PacketBuilder& PacketBuilder::Protocol(uint8_t protocol) {
  l4_ = L4::kNone;
  raw_protocol_ = protocol;
  return *this;
}

PacketBuilder& PacketBuilder::Payload(std::string_view bytes) {
  payload_.assign(bytes.begin(), bytes.end());
  return *this;
}

PacketBuilder& PacketBuilder::Payload(std::vector<uint8_t> bytes) {
  payload_ = std::move(bytes);
  return *this;
}

PacketBuilder& PacketBuilder::Embed(std::vector<uint8_t> inner_ip_packet) { return Payload(std::move(inner_ip_packet)); }

PacketBuilder& PacketBuilder::OuterIpv4(std::string_view src, std::string_view dst) {
  outer_.set = true;
  outer_.v6 = false;
  outer_.src = ParseAddr(src, false);
  outer_.dst = ParseAddr(dst, false);
  return *this;
}

PacketBuilder& PacketBuilder::OuterIpv6(std::string_view src, std::string_view dst) {
  outer_.set = true;
  outer_.v6 = true;
  outer_.src = ParseAddr(src, true);
  outer_.dst = ParseAddr(dst, true);
  return *this;
}

PacketBuilder& PacketBuilder::OuterTtl(uint8_t ttl) {
  outer_.ttl = ttl;
  return *this;
}

PacketBuilder& PacketBuilder::OuterTos(uint8_t tos) {
  outer_.tos = tos;
  return *this;
}

PacketBuilder& PacketBuilder::OuterId(uint16_t id) {
  outer_.id = id;
  return *this;
}

PacketBuilder& PacketBuilder::OuterDf(bool df) {
  outer_.df = df;
  return *this;
}

PacketBuilder& PacketBuilder::Ipip() {
  tunnel_ = Tunnel::kIpip;
  return *this;
}

PacketBuilder& PacketBuilder::Gre(bool with_csum) {
  tunnel_ = Tunnel::kGre;
  gre_checksum_ = with_csum;
  return *this;
}

PacketBuilder& PacketBuilder::Gue(uint16_t sport, uint16_t dport, bool with_udp_csum) {
  tunnel_ = Tunnel::kGue;
  gue_sport_ = sport;
  gue_dport_ = dport;
  gue_udp_checksum_ = with_udp_csum;
  return *this;
}

PacketBuilder& PacketBuilder::PadTo(size_t frame_len) {
  pad_to_ = frame_len;
  return *this;
}

uint8_t PacketBuilder::InnerProtocol() const {
  switch (l4_) {
    case L4::kTcp:
      return net::kProtoTcp;
    case L4::kUdp:
      return net::kProtoUdp;
    case L4::kSctp:
      return net::kProtoSctp;
    case L4::kIcmp:
      return net::kProtoIcmp;
    case L4::kIcmpv6:
      return net::kProtoIcmpv6;
    case L4::kNone:
      break;
  }
  return raw_protocol_;
}

std::vector<uint8_t> PacketBuilder::BuildTransport(const IpHeader& ip, uint8_t protocol) const {
  std::vector<uint8_t> l4;
  switch (l4_) {
    case L4::kTcp: {
      Put16(l4, sport_);
      Put16(l4, dport_);
      Put32(l4, tcp_seq_);
      Put32(l4, tcp_ack_);
      Put8(l4, static_cast<uint8_t>((20 + tcp_options_.size()) / 4 << 4));
      Put8(l4, tcp_flags_);
      Put16(l4, tcp_window_);
      Put16(l4, 0);  // checksum
      Put16(l4, 0);  // urgent pointer
      Append(l4, tcp_options_);
      Append(l4, payload_);
      Set16(l4, 16, OnesComplementChecksum(OnesComplementSum(l4, PseudoHeaderSum(ip.v6, ip.src, ip.dst, protocol, l4.size()))));
      return l4;
    }
    case L4::kUdp: {
      Put16(l4, sport_);
      Put16(l4, dport_);
      Put16(l4, static_cast<uint16_t>(8 + payload_.size()));
      Put16(l4, 0);
      Append(l4, payload_);
      if (!udp_zero_checksum_) {
        uint16_t check =
            OnesComplementChecksum(OnesComplementSum(l4, PseudoHeaderSum(ip.v6, ip.src, ip.dst, protocol, l4.size())));
        Set16(l4, 6, check == 0 ? 0xffff : check);  // 0 means "no checksum" (RFC 768)
      }
      return l4;
    }
    case L4::kSctp: {
      Put16(l4, sport_);
      Put16(l4, dport_);
      Put32(l4, sctp_vtag_);
      Put32(l4, 0);
      Put8(l4, sctp_chunk_type_);
      Put8(l4, 0);
      Put16(l4, static_cast<uint16_t>(4 + payload_.size()));
      Append(l4, payload_);
      PadToMultiple(l4, 4);
      uint32_t crc = Crc32cBitwise(l4);
      for (size_t i = 0; i < 4; ++i) l4[8 + i] = static_cast<uint8_t>(crc >> (8 * i));  // RFC 4960 appendix B
      return l4;
    }
    case L4::kIcmp:
    case L4::kIcmpv6: {
      Put8(l4, icmp_type_);
      Put8(l4, icmp_code_);
      Put16(l4, 0);
      Put32(l4, icmp_rest_);
      Append(l4, payload_);
      uint32_t sum = l4_ == L4::kIcmpv6 ? PseudoHeaderSum(ip.v6, ip.src, ip.dst, protocol, l4.size()) : 0;
      Set16(l4, 2, OnesComplementChecksum(OnesComplementSum(l4, sum)));
      return l4;
    }
    case L4::kNone:
      break;
  }
  return payload_;
}

std::vector<uint8_t> PacketBuilder::BuildInner() const {
  if (!ip_.set) Fail("no IP header: call Ipv4() or Ipv6()");
  uint8_t protocol = InnerProtocol();
  std::vector<uint8_t> l4 = BuildTransport(ip_, protocol);
  if (!ip_.v6) {
    return Ipv4Packet(ip_.df, more_fragments_, fragment_offset_, ip_.ttl, ip_.tos, ip_.id, ip_.src, ip_.dst, protocol,
                      ipv4_options_, l4);
  }
  std::vector<ExtHeader> chain = ipv6_ext_;
  if (more_fragments_ || fragment_offset_ != 0) {
    std::vector<uint8_t> frag_body;
    Put16(frag_body, static_cast<uint16_t>(fragment_offset_ << 3 | (more_fragments_ ? 1 : 0)));
    Put32(frag_body, ip_.id);
    chain.push_back({net::kIpv6Fragment, std::move(frag_body)});
  }
  // Each header's next-header byte names the one after it; the last names the transport.
  std::vector<uint8_t> ext_bytes;
  for (size_t i = 0; i < chain.size(); ++i) {
    std::vector<uint8_t> h;
    Put8(h, i + 1 < chain.size() ? chain[i + 1].type : protocol);
    Put8(h, 0);
    Append(h, chain[i].body);
    PadToMultiple(h, 8);
    if (chain[i].type != net::kIpv6Fragment) h[1] = static_cast<uint8_t>(h.size() / 8 - 1);
    Append(ext_bytes, h);
  }
  uint8_t first = chain.empty() ? protocol : chain.front().type;
  return Ipv6Packet(ip_.ttl, ip_.tos, ip_.src, ip_.dst, first, ext_bytes, l4);
}

std::vector<uint8_t> PacketBuilder::Wrap(std::vector<uint8_t> inner) const {
  if (tunnel_ == Tunnel::kNone) return inner;
  if (!outer_.set) Fail("a tunnel needs OuterIpv4() or OuterIpv6()");
  uint8_t inner_ip_proto = ip_.v6 ? net::kProtoIpv6 : net::kProtoIpip;
  uint8_t outer_proto = 0;
  std::vector<uint8_t> payload;
  switch (tunnel_) {
    case Tunnel::kIpip:
      outer_proto = inner_ip_proto;
      payload = std::move(inner);
      break;
    case Tunnel::kGre: {
      outer_proto = net::kProtoGre;
      Put16(payload, gre_checksum_ ? net::kGreChecksumPresent : 0);
      Put16(payload, ip_.v6 ? net::kEtherTypeIpv6 : net::kEtherTypeIpv4);
      if (gre_checksum_) Put32(payload, 0);  // checksum + reserved
      Append(payload, inner);
      if (gre_checksum_) Set16(payload, 4, OnesComplementChecksum(OnesComplementSum(payload)));
      break;
    }
    case Tunnel::kGue: {
      outer_proto = net::kProtoUdp;
      Put16(payload, gue_sport_);
      Put16(payload, gue_dport_);
      Put16(payload, static_cast<uint16_t>(8 + 4 + inner.size()));
      Put16(payload, 0);
      Put8(payload, 0);  // version 0, C = 0, hlen 0
      Put8(payload, inner_ip_proto);
      Put16(payload, 0);  // flags
      Append(payload, inner);
      if (gue_udp_checksum_) {
        uint16_t check = OnesComplementChecksum(
            OnesComplementSum(payload, PseudoHeaderSum(outer_.v6, outer_.src, outer_.dst, outer_proto, payload.size())));
        Set16(payload, 6, check == 0 ? 0xffff : check);
      }
      break;
    }
    case Tunnel::kNone:
      break;
  }
  if (outer_.v6) return Ipv6Packet(outer_.ttl, outer_.tos, outer_.src, outer_.dst, outer_proto, {}, payload);
  return Ipv4Packet(outer_.df, false, 0, outer_.ttl, outer_.tos, outer_.id, outer_.src, outer_.dst, outer_proto, {},
                    payload);
}

std::vector<uint8_t> PacketBuilder::BuildL3() const { return Wrap(BuildInner()); }

std::vector<uint8_t> PacketBuilder::Build() const {
  std::vector<uint8_t> l3 = BuildL3();
  bool outer_v6 = tunnel_ != Tunnel::kNone ? outer_.v6 : ip_.v6;
  std::vector<uint8_t> frame(dst_mac_.begin(), dst_mac_.end());
  frame.insert(frame.end(), src_mac_.begin(), src_mac_.end());
  for (const VlanTag& tag : vlans_) {
    Put16(frame, tag.tpid);
    Put16(frame, tag.tci);
  }
  Put16(frame, outer_v6 ? net::kEtherTypeIpv6 : net::kEtherTypeIpv4);
  Append(frame, l3);
  if (frame.size() < pad_to_) frame.resize(pad_to_, 0);
  return frame;
}

}  // namespace ipvsd::testing
