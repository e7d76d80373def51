#include "net/rx_checks.h"

#include "net/checksum.h"
#include "net/headers.h"

namespace ipvsd::net {
namespace {

constexpr uint8_t kProtoIgmp = 2;

bool V4ThisNetwork(uint32_t a) { return (a >> 24) == 0; }         // 0.0.0.0/8
bool V4Loopback(uint32_t a) { return (a >> 24) == 127; }          // 127.0.0.0/8
bool V4Multicast(uint32_t a) { return (a >> 28) == 0xe; }         // 224.0.0.0/4
bool V4ClassE(uint32_t a) { return (a >> 28) == 0xf; }            // 240.0.0.0/4, broadcast included
bool V4LinkLocalMulticast(uint32_t a) { return (a >> 8) == 0xe00000; }  // 224.0.0.0/24
constexpr uint32_t kV4LimitedBroadcast = 0xffffffffu;

RxCheck CheckV4(const PacketView& v) {
  const uint32_t src = v.src.V4();
  const uint32_t dst = v.dst.V4();
  // ip_route_input_slow: these before anything else, whatever the destination.
  if (V4Multicast(src) || src == kV4LimitedBroadcast) return RxCheck::kMartianSource;
  if (V4ThisNetwork(src)) {
    // brd_input takes 0/8 towards the limited broadcast (and 0.0.0.0 -> 0.0.0.0) without
    // validating the source; ip_mc_validate_source takes 0/8 towards link-local multicast
    // or with IGMP (it checks ipv4_is_zeronet, the whole /8, as here).
    if (dst == kV4LimitedBroadcast || (src == 0 && dst == 0)) return RxCheck::kOk;
    if (V4Multicast(dst) && (V4LinkLocalMulticast(dst) || v.protocol == kProtoIgmp)) return RxCheck::kOk;
    return RxCheck::kMartianSource;
  }
  if (V4ClassE(src)) return RxCheck::kMartianSource;
  // The kernel tests the destination's loopback before the source's; both are martians.
  if (V4ThisNetwork(dst) || V4Loopback(dst)) return RxCheck::kMartianDestination;
  if (V4Loopback(src)) return RxCheck::kMartianSource;
  return RxCheck::kOk;
}

bool V6Loopback(const RawAddr& a) {
  for (int i = 0; i < 15; ++i) {
    if (a.bytes[i]) return false;
  }
  return a.bytes[15] == 1;
}
bool V6Multicast(const RawAddr& a) { return a.bytes[0] == 0xff; }
bool V6V4Mapped(const RawAddr& a) {  // ::ffff:0:0/96
  for (int i = 0; i < 10; ++i) {
    if (a.bytes[i]) return false;
  }
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}
// RFC 4291 2.7: the low four bits of the second byte of a multicast address are its scope.
uint8_t V6MulticastScope(const RawAddr& a) { return a.bytes[1] & 0x0f; }

RxCheck CheckV6(const PacketView& v) {
  // ip6_rcv_core, in its order.
  if (V6Loopback(v.src)) return RxCheck::kMartianSource;
  if (V6Loopback(v.dst)) return RxCheck::kMartianDestination;
  if (V6Multicast(v.dst) && V6MulticastScope(v.dst) <= 1) return RxCheck::kMartianDestination;
  if (V6Multicast(v.src) || V6V4Mapped(v.src)) return RxCheck::kMartianSource;
  if (v.src.IsZero() && !V6Multicast(v.dst)) return RxCheck::kMartianSource;
  return RxCheck::kOk;
}

}  // namespace

bool Ipv4HeaderChecksumOk(const uint8_t* ip) {
  // A correct header, its checksum field included, sums to 0xffff: ones' complement zero.
  return ChecksumFinish(ChecksumAdd(ip, static_cast<size_t>(HeaderAt<Ipv4Hdr>(ip)->header_len()))) == 0;
}

RxCheck CheckReceived(const PacketView& v) {
  if (v.family == Family::kInet6) return CheckV6(v);
  if (!Ipv4HeaderChecksumOk(v.l3())) return RxCheck::kBadIpChecksum;
  return CheckV4(v);
}

}  // namespace ipvsd::net
