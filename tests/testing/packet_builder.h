// File: testing/packet_builder.h
//
// PacketBuilder makes the frames of golden packet tests, in the manner of Katran's test
// builders and scapy: say what the packet is, get its bytes with every length and checksum
// filled in (computed with the independent arithmetic of testing/checksum_verify.h, never with
// net/checksum).
//
//   std::vector<uint8_t> syn = PacketBuilder()
//                                  .Eth("02:00:00:00:00:01", "02:00:00:00:00:02")
//                                  .Ipv4("198.18.0.1", "198.19.0.1")
//                                  .Tcp(12345, 80, net::kTcpSyn)
//                                  .Payload("hello")
//                                  .Build();
//
//   // An ICMP "fragmentation needed" quoting the first bytes of a packet:
//   std::vector<uint8_t> quoted = PacketBuilder().Ipv4("198.19.0.1", "198.18.0.1").Tcp(80, 12345, net::kTcpAck).BuildL3();
//   quoted.resize(28);
//   PacketBuilder().Ipv4("198.18.0.254", "198.19.0.1").Icmp(3, 4, 1400).Embed(quoted).Build();
//
//   // What a TUN real server receives: the client's packet inside GUE.
//   PacketBuilder().Ipv4("198.18.0.1", "198.19.0.1").Udp(5000, 53).Payload("q")
//       .OuterIpv4("198.18.1.1", "198.18.2.1").Gue(40000, 6080, /*with_udp_csum=*/false).Build();
//
// A builder describes one packet: an Ethernet header (02:00:00:00:00:01 -> :02 unless Eth() is
// called), any VLAN tags, optionally an outer IP header and a tunnel (IPIP, GRE or GUE), the
// packet's own IP header, at most one transport header and a payload. Setters may come in any
// order; a later call replaces an earlier one of the same layer, except Vlan() and
// Ipv6ExtHeader(), which append. Misuse (no IP header, a bad address or MAC
// literal, a tunnel without an outer header) aborts the test binary: it is a fixture bug.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "net/headers.h"

namespace ipvsd::testing {

class PacketBuilder {
 public:
  // MACs as "02:00:00:00:00:01".
  PacketBuilder& Eth(std::string_view src_mac, std::string_view dst_mac);
  // Adds a tag after those already added (the first call is the outermost tag). Use
  // tpid net::kEtherTypeQinQ for an 802.1ad service tag.
  PacketBuilder& Vlan(uint16_t tci, uint16_t tpid = net::kEtherTypeVlan);

  // The packet's own IP header.
  PacketBuilder& Ipv4(std::string_view src, std::string_view dst);
  PacketBuilder& Ipv6(std::string_view src, std::string_view dst);
  // IPv4 options, padded with End-of-Options (0) to a multiple of 4 bytes.
  PacketBuilder& Ipv4Options(std::vector<uint8_t> options);
  // Appends an IPv6 extension header: `body` is what follows its next-header and length
  // bytes, padded with zeros (Pad1 options) to a multiple of 8 bytes in all. For a fragment
  // header (type 44, whose second byte is reserved) give offset/flags and identification; or
  // use the fragment setters below.
  PacketBuilder& Ipv6ExtHeader(uint8_t type, std::vector<uint8_t> body);
  PacketBuilder& Ttl(uint8_t ttl);  // IPv4 TTL / IPv6 hop limit; default 64
  PacketBuilder& Tos(uint8_t tos);  // IPv4 TOS / IPv6 traffic class; default 0
  PacketBuilder& Id(uint16_t id);   // IPv4 identification / IPv6 fragment header id; default 0
  PacketBuilder& Df(bool df);       // IPv4 only; default false
  // Fragmentation: IPv4 MF flag and offset (in 8-byte units). For IPv6, setting either adds a
  // fragment header after the other extension headers.
  PacketBuilder& MoreFragments(bool more);
  PacketBuilder& FragmentOffset(uint16_t offset_in_8_bytes);

  // Transport header. Without one the payload follows the IP header directly, with IP
  // protocol Protocol() (default 59, "no next header").
  PacketBuilder& Tcp(uint16_t sport, uint16_t dport, uint8_t flags);
  PacketBuilder& TcpSeq(uint32_t seq, uint32_t ack);  // default 0, 0
  PacketBuilder& TcpWindow(uint16_t window);          // default 8192
  PacketBuilder& TcpOptions(std::vector<uint8_t> options);  // padded with End-of-Options (0)
  PacketBuilder& Udp(uint16_t sport, uint16_t dport);
  PacketBuilder& UdpZeroChecksum();  // "no checksum", legal over IPv4 only
  // Common header + one chunk of chunk_type (flags 0) whose value is the payload, padded to 4.
  PacketBuilder& Sctp(uint16_t sport, uint16_t dport, uint32_t vtag, uint8_t chunk_type);
  // `rest` is the second 32-bit word (host order): id << 16 | seq, next-hop MTU, pointer ...
  PacketBuilder& Icmp(uint8_t type, uint8_t code, uint32_t rest = 0);
  PacketBuilder& Icmpv6(uint8_t type, uint8_t code, uint32_t rest = 0);
  PacketBuilder& Protocol(uint8_t protocol);

  PacketBuilder& Payload(std::string_view bytes);
  PacketBuilder& Payload(std::vector<uint8_t> bytes);
  // The payload of an ICMP error: an IP packet (e.g. another builder's BuildL3(), possibly cut
  // short), taken as is.
  PacketBuilder& Embed(std::vector<uint8_t> inner_ip_packet);

  // Tunnels: an outer IP header plus Ipip(), Gre() or Gue() wraps the packet described above.
  PacketBuilder& OuterIpv4(std::string_view src, std::string_view dst);
  PacketBuilder& OuterIpv6(std::string_view src, std::string_view dst);
  PacketBuilder& OuterTtl(uint8_t ttl);  // default 64
  PacketBuilder& OuterTos(uint8_t tos);  // default 0
  PacketBuilder& OuterId(uint16_t id);   // default 0
  PacketBuilder& OuterDf(bool df);       // default false
  // IP protocol 4 (IPv4 inside) or 41 (IPv6 inside).
  PacketBuilder& Ipip();
  // GRE (RFC 2784) with the inner ethertype as protocol, optionally with its checksum.
  PacketBuilder& Gre(bool with_csum);
  // UDP + GUE variant 0 header (hlen 0, proto 4 or 41, flags 0); UDP checksum 0 unless asked.
  PacketBuilder& Gue(uint16_t sport, uint16_t dport, bool with_udp_csum);

  // Pads the frame with zero bytes up to frame_len, as Ethernet pads short frames to 60.
  PacketBuilder& PadTo(size_t frame_len);

  // The Ethernet frame.
  std::vector<uint8_t> Build() const;
  // The outermost IP packet, without Ethernet header and padding.
  std::vector<uint8_t> BuildL3() const;

 private:
  struct IpHeader {
    bool set = false;
    bool v6 = false;
    std::array<uint8_t, 16> src{};
    std::array<uint8_t, 16> dst{};
    uint8_t ttl = 64;
    uint8_t tos = 0;
    uint16_t id = 0;
    bool df = false;
  };
  struct VlanTag {
    uint16_t tpid;
    uint16_t tci;
  };
  struct ExtHeader {
    uint8_t type;
    std::vector<uint8_t> body;
  };
  enum class L4 : uint8_t { kNone, kTcp, kUdp, kSctp, kIcmp, kIcmpv6 };
  enum class Tunnel : uint8_t { kNone, kIpip, kGre, kGue };

  std::vector<uint8_t> BuildInner() const;
  std::vector<uint8_t> BuildTransport(const IpHeader& ip, uint8_t protocol) const;
  std::vector<uint8_t> Wrap(std::vector<uint8_t> inner) const;
  uint8_t InnerProtocol() const;

  std::array<uint8_t, 6> src_mac_{0x02, 0, 0, 0, 0, 0x01};
  std::array<uint8_t, 6> dst_mac_{0x02, 0, 0, 0, 0, 0x02};
  std::vector<VlanTag> vlans_;

  IpHeader ip_;
  std::vector<uint8_t> ipv4_options_;
  std::vector<ExtHeader> ipv6_ext_;
  bool more_fragments_ = false;
  uint16_t fragment_offset_ = 0;

  L4 l4_ = L4::kNone;
  uint8_t raw_protocol_ = net::kIpv6NoNext;
  uint16_t sport_ = 0;
  uint16_t dport_ = 0;
  uint8_t tcp_flags_ = 0;
  uint32_t tcp_seq_ = 0;
  uint32_t tcp_ack_ = 0;
  uint16_t tcp_window_ = 8192;
  std::vector<uint8_t> tcp_options_;
  bool udp_zero_checksum_ = false;
  uint32_t sctp_vtag_ = 0;
  uint8_t sctp_chunk_type_ = 0;
  uint8_t icmp_type_ = 0;
  uint8_t icmp_code_ = 0;
  uint32_t icmp_rest_ = 0;
  std::vector<uint8_t> payload_;

  IpHeader outer_;
  Tunnel tunnel_ = Tunnel::kNone;
  bool gre_checksum_ = false;
  uint16_t gue_sport_ = 0;
  uint16_t gue_dport_ = 0;
  bool gue_udp_checksum_ = false;

  size_t pad_to_ = 0;
};

}  // namespace ipvsd::testing
