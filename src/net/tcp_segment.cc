#include "net/tcp_segment.h"

#include <cstring>

#include "base/byte_order.h"
#include "net/checksum.h"

namespace ipvsd::net {
namespace {

constexpr uint8_t kOptEnd = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptMss = 2;
constexpr uint8_t kOptWscale = 3;
constexpr uint8_t kOptSackPerm = 4;
constexpr uint8_t kOptTimestamp = 8;
constexpr uint32_t kMaxOptionBytes = 40;

// Calls f(kind, offset of the option from the header's start, its length) for every
// well-formed option.
template <typename F>
void ForEachOption(const TcpHdr* tcp, F f) {
  const auto* h = reinterpret_cast<const uint8_t*>(tcp);
  const uint32_t end = static_cast<uint32_t>(tcp->header_len());
  for (uint32_t i = sizeof(TcpHdr); i < end;) {
    const uint8_t kind = h[i];
    if (kind == kOptEnd) return;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= end || h[i + 1] < 2 || i + h[i + 1] > end) return;
    f(kind, i, h[i + 1]);
    i += h[i + 1];
  }
}

// Writes the options, padded to a multiple of 4 bytes; returns their length.
uint32_t WriteOptions(uint8_t* p, const TcpOptions& o) {
  uint32_t n = 0;
  if (o.mss) {
    p[n++] = kOptMss;
    p[n++] = 4;
    p[n++] = static_cast<uint8_t>(o.mss >> 8);
    p[n++] = static_cast<uint8_t>(o.mss);
  }
  if (o.has_ts) {
    if (o.sack_ok) {
      p[n++] = kOptSackPerm;
      p[n++] = 2;
    } else {
      p[n++] = kOptNop;
      p[n++] = kOptNop;
    }
    p[n++] = kOptTimestamp;
    p[n++] = 10;
    StoreBe32(p + n, o.tsval);
    StoreBe32(p + n + 4, o.tsecr);
    n += 8;
  } else if (o.sack_ok) {
    p[n++] = kOptNop;
    p[n++] = kOptNop;
    p[n++] = kOptSackPerm;
    p[n++] = 2;
  }
  if (o.wscale != kNoWscale) {
    p[n++] = kOptNop;
    p[n++] = kOptWscale;
    p[n++] = 3;
    p[n++] = o.wscale;
  }
  return n;
}

}  // namespace

TcpOptions ParseTcpOptions(const TcpHdr* tcp) {
  TcpOptions o;
  const auto* h = reinterpret_cast<const uint8_t*>(tcp);
  ForEachOption(tcp, [&](uint8_t kind, uint32_t at, uint8_t len) {
    if (kind == kOptMss && len == 4) {
      o.mss = static_cast<uint16_t>(h[at + 2] << 8 | h[at + 3]);
    } else if (kind == kOptWscale && len == 3) {
      o.wscale = h[at + 2] > kMaxWscale ? kMaxWscale : h[at + 2];
    } else if (kind == kOptSackPerm && len == 2) {
      o.sack_ok = true;
    } else if (kind == kOptTimestamp && len == 10) {
      o.has_ts = true;
      o.tsval = LoadBe32(h + at + 2);
      o.tsecr = LoadBe32(h + at + 6);
    }
  });
  return o;
}

uint32_t TimestampOffset(const TcpHdr* tcp) {
  uint32_t offset = 0;
  ForEachOption(tcp, [&](uint8_t kind, uint32_t at, uint8_t len) {
    if (kind == kOptTimestamp && len == 10) offset = at + 2;
  });
  return offset;
}

uint32_t WriteTcpSegment(Frame& frame, uint32_t l3_offset, const TcpSegment& s) {
  uint8_t options[kMaxOptionBytes];
  const uint32_t opt_len = WriteOptions(options, s.options);
  const bool v6 = s.family == Family::kInet6;
  const uint32_t ip_len = v6 ? sizeof(Ipv6Hdr) : sizeof(Ipv4Hdr);
  const uint32_t tcp_len = static_cast<uint32_t>(sizeof(TcpHdr)) + opt_len;
  const uint32_t len = l3_offset + ip_len + tcp_len;
  if (frame.offset + len > frame.capacity) return 0;

  uint8_t* ip = frame.data() + l3_offset;
  if (v6) {
    auto* h = HeaderAt<Ipv6Hdr>(ip);
    h->ver_tc_flow.set(6u << 28);
    h->payload_len.set(static_cast<uint16_t>(tcp_len));
    h->nexthdr = kProtoTcp;
    h->hop_limit = 64;
    std::memcpy(h->saddr, s.src.bytes.data(), 16);
    std::memcpy(h->daddr, s.dst.bytes.data(), 16);
  } else {
    auto* h = HeaderAt<Ipv4Hdr>(ip);
    h->version_ihl = 0x45;
    h->tos = 0;
    h->total_len.set(static_cast<uint16_t>(ip_len + tcp_len));
    h->id.set(0);
    h->frag_off.set(kIpv4Df);
    h->ttl = 64;
    h->protocol = kProtoTcp;
    std::memcpy(h->saddr, s.src.bytes.data(), 4);
    std::memcpy(h->daddr, s.dst.bytes.data(), 4);
    SetIpv4HeaderChecksum(ip);
  }
  auto* tcp = HeaderAt<TcpHdr>(ip + ip_len);
  std::memset(tcp, 0, sizeof(TcpHdr));
  tcp->source.set(s.sport);
  tcp->dest.set(s.dport);
  tcp->seq.set(s.seq);
  tcp->ack_seq.set(s.ack_seq);
  tcp->doff_res = static_cast<uint8_t>((tcp_len / 4) << 4);
  tcp->flags = s.flags;
  tcp->window.set(s.window);
  std::memcpy(reinterpret_cast<uint8_t*>(tcp) + sizeof(TcpHdr), options, opt_len);
  tcp->check.set(L4Checksum(s.family, s.src, s.dst, kProtoTcp, reinterpret_cast<const uint8_t*>(tcp), tcp_len));
  frame.len = len;
  return len;
}

}  // namespace ipvsd::net
