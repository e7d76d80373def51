// File: net/headers.h
//
// Wire layouts of the headers ipvsd reads and writes. Multi-byte fields are Be16/Be32: they
// hold network byte order and convert only through get()/set(), so host and network order
// cannot be mixed up. All structs are packed, trivially copyable and read through
// HeaderAt<T>(), which tolerates any alignment.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ipvsd::net {

struct Be16 {
  uint16_t raw;
  constexpr uint16_t get() const { return static_cast<uint16_t>((raw >> 8) | (raw << 8)); }
  constexpr void set(uint16_t v) { raw = static_cast<uint16_t>((v >> 8) | (v << 8)); }
} __attribute__((packed));

struct Be32 {
  uint32_t raw;
  constexpr uint32_t get() const { return __builtin_bswap32(raw); }
  constexpr void set(uint32_t v) { raw = __builtin_bswap32(v); }
} __attribute__((packed));

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoIpip = 4;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIpv6 = 41;
inline constexpr uint8_t kProtoGre = 47;
inline constexpr uint8_t kProtoIcmpv6 = 58;
inline constexpr uint8_t kProtoSctp = 132;

struct MacAddr {
  uint8_t bytes[6];
  friend bool operator==(const MacAddr& a, const MacAddr& b) { return std::memcmp(a.bytes, b.bytes, 6) == 0; }
} __attribute__((packed));

struct EthHdr {
  MacAddr dst;
  MacAddr src;
  Be16 ethertype;
} __attribute__((packed));

struct VlanHdr {
  Be16 tci;
  Be16 ethertype;
} __attribute__((packed));

struct ArpHdr {
  Be16 htype;
  Be16 ptype;
  uint8_t hlen;
  uint8_t plen;
  Be16 oper;
  MacAddr sha;
  uint8_t spa[4];
  MacAddr tha;
  uint8_t tpa[4];
} __attribute__((packed));

struct Ipv4Hdr {
  uint8_t version_ihl;  // version 4 in the high nibble, header length in 32-bit words low
  uint8_t tos;
  Be16 total_len;
  Be16 id;
  Be16 frag_off;  // flags (0x4000 DF, 0x2000 MF) + offset in 8-byte units
  uint8_t ttl;
  uint8_t protocol;
  Be16 check;
  uint8_t saddr[4];
  uint8_t daddr[4];
  int header_len() const { return (version_ihl & 0x0f) * 4; }
} __attribute__((packed));
inline constexpr uint16_t kIpv4Df = 0x4000;
inline constexpr uint16_t kIpv4Mf = 0x2000;
inline constexpr uint16_t kIpv4OffsetMask = 0x1fff;

struct Ipv6Hdr {
  Be32 ver_tc_flow;  // version 6, traffic class, flow label
  Be16 payload_len;
  uint8_t nexthdr;
  uint8_t hop_limit;
  uint8_t saddr[16];
  uint8_t daddr[16];
} __attribute__((packed));

// Hop-by-hop, routing and destination options share this prefix; length in 8-byte units
// not counting the first 8.
struct Ipv6ExtHdr {
  uint8_t nexthdr;
  uint8_t hdrlen;
} __attribute__((packed));
inline constexpr uint8_t kIpv6HopByHop = 0;
inline constexpr uint8_t kIpv6Routing = 43;
inline constexpr uint8_t kIpv6Fragment = 44;
inline constexpr uint8_t kIpv6DestOpts = 60;
inline constexpr uint8_t kIpv6NoNext = 59;

struct Ipv6FragHdr {
  uint8_t nexthdr;
  uint8_t reserved;
  Be16 frag_off;  // offset << 3 | M flag
  Be32 id;
} __attribute__((packed));

struct TcpHdr {
  Be16 source;
  Be16 dest;
  Be32 seq;
  Be32 ack_seq;
  uint8_t doff_res;  // data offset in 32-bit words, high nibble
  uint8_t flags;
  Be16 window;
  Be16 check;
  Be16 urg_ptr;
  int header_len() const { return (doff_res >> 4) * 4; }
} __attribute__((packed));
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;

struct UdpHdr {
  Be16 source;
  Be16 dest;
  Be16 len;
  Be16 check;
} __attribute__((packed));

struct SctpHdr {
  Be16 source;
  Be16 dest;
  Be32 vtag;
  uint32_t checksum;  // CRC32c, stored little-endian on the wire (RFC 4960 appendix B)
} __attribute__((packed));

struct SctpChunkHdr {
  uint8_t type;
  uint8_t flags;
  Be16 length;
} __attribute__((packed));
inline constexpr uint8_t kSctpData = 0;
inline constexpr uint8_t kSctpInit = 1;
inline constexpr uint8_t kSctpInitAck = 2;
inline constexpr uint8_t kSctpSack = 3;
inline constexpr uint8_t kSctpHeartbeat = 4;
inline constexpr uint8_t kSctpHeartbeatAck = 5;
inline constexpr uint8_t kSctpAbort = 6;
inline constexpr uint8_t kSctpShutdown = 7;
inline constexpr uint8_t kSctpShutdownAck = 8;
inline constexpr uint8_t kSctpError = 9;
inline constexpr uint8_t kSctpCookieEcho = 10;
inline constexpr uint8_t kSctpCookieAck = 11;
inline constexpr uint8_t kSctpShutdownComplete = 14;

struct IcmpHdr {
  uint8_t type;
  uint8_t code;
  Be16 check;
  Be16 id_or_unused;
  Be16 seq_or_mtu;  // next-hop MTU for "fragmentation needed"
} __attribute__((packed));
inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestUnreach = 3;
inline constexpr uint8_t kIcmpSourceQuench = 4;
inline constexpr uint8_t kIcmpEcho = 8;
inline constexpr uint8_t kIcmpTimeExceeded = 11;
inline constexpr uint8_t kIcmpParamProblem = 12;
inline constexpr uint8_t kIcmpFragNeeded = 4;   // code of kIcmpDestUnreach
inline constexpr uint8_t kIcmpPortUnreach = 3;  // code of kIcmpDestUnreach

struct Icmpv6Hdr {
  uint8_t type;
  uint8_t code;
  Be16 check;
  Be32 data;  // MTU for "packet too big"
} __attribute__((packed));
inline constexpr uint8_t kIcmpv6DestUnreach = 1;
inline constexpr uint8_t kIcmpv6PacketTooBig = 2;
inline constexpr uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr uint8_t kIcmpv6ParamProblem = 4;
inline constexpr uint8_t kIcmpv6EchoRequest = 128;
inline constexpr uint8_t kIcmpv6EchoReply = 129;
inline constexpr uint8_t kIcmpv6PortUnreach = 4;  // code of kIcmpv6DestUnreach

struct GreHdr {
  Be16 flags_version;  // 0x8000 = checksum present
  Be16 protocol;       // ethertype of the payload
} __attribute__((packed));
inline constexpr uint16_t kGreChecksumPresent = 0x8000;

// Generic UDP Encapsulation, variant 0 (draft-ietf-intarea-gue).
struct GueHdr {
  uint8_t control_version_hlen;  // 2-bit version, 1-bit control, 5-bit hlen (32-bit words of options)
  uint8_t proto_ctype;           // inner protocol: 4 (IPv4) or 41 (IPv6)
  Be16 flags;
} __attribute__((packed));
inline constexpr uint16_t kGueFlagPriv = 0x0001;
inline constexpr uint32_t kGuePflagRemcsum = 0x80000000u;

static_assert(sizeof(EthHdr) == 14 && sizeof(VlanHdr) == 4 && sizeof(ArpHdr) == 28);
static_assert(sizeof(Ipv4Hdr) == 20 && sizeof(Ipv6Hdr) == 40 && sizeof(Ipv6FragHdr) == 8);
static_assert(sizeof(TcpHdr) == 20 && sizeof(UdpHdr) == 8 && sizeof(SctpHdr) == 12);
static_assert(sizeof(IcmpHdr) == 8 && sizeof(Icmpv6Hdr) == 8 && sizeof(GreHdr) == 4 && sizeof(GueHdr) == 4);

// The header of type T at p. Packed structs have alignment 1, so this is always valid.
template <typename T>
inline T* HeaderAt(uint8_t* p) {
  static_assert(std::is_trivially_copyable_v<T> && alignof(T) == 1);
  return reinterpret_cast<T*>(p);
}
template <typename T>
inline const T* HeaderAt(const uint8_t* p) {
  static_assert(std::is_trivially_copyable_v<T> && alignof(T) == 1);
  return reinterpret_cast<const T*>(p);
}

}  // namespace ipvsd::net
