#include "net/reply.h"

#include <utility>

#include "net/headers.h"

namespace ipvsd::net {
namespace {

constexpr uint8_t kIcmpRedirect = 5;
constexpr uint8_t kIcmpv6InfoBoundary = 128;  // RFC 4443 2.1: types below are errors

bool IsIcmpErrorMessage(const PacketView& p) {
  if (p.l4_len() < 1) return false;
  uint8_t type = p.l4()[0];
  if (p.family == Family::kInet6) return p.protocol == kProtoIcmpv6 && type < kIcmpv6InfoBoundary;
  return p.protocol == kProtoIcmp && (type == kIcmpDestUnreach || type == kIcmpSourceQuench ||
                                      type == kIcmpRedirect || type == kIcmpTimeExceeded ||
                                      type == kIcmpParamProblem);
}

bool IsV4Multicast(const RawAddr& a) { return (a.bytes[0] & 0xf0) == 0xe0; }
bool IsV4LimitedBroadcast(const RawAddr& a) { return a.V4() == 0xffffffffu; }
bool IsV6Multicast(const RawAddr& a) { return a.bytes[0] == 0xff; }

}  // namespace

bool MayAnswer(const PacketView& p) {
  if (IsIcmpErrorMessage(p)) return false;
  if (p.src.IsZero()) return false;
  if (p.family == Family::kInet6) return !IsV6Multicast(p.src) && !IsV6Multicast(p.dst);
  if (IsV4Multicast(p.src) || IsV4LimitedBroadcast(p.src)) return false;
  if (IsV4Multicast(p.dst) || IsV4LimitedBroadcast(p.dst)) return false;
  return (HeaderAt<Ipv4Hdr>(p.l3())->frag_off.get() & kIpv4OffsetMask) == 0;
}

void SwapMacs(uint8_t* frame, uint32_t l2_len) {
  if (l2_len < sizeof(EthHdr)) return;
  auto* eth = HeaderAt<EthHdr>(frame);
  std::swap(eth->dst, eth->src);
}

}  // namespace ipvsd::net
