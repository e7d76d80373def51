#include "net/partial_checksum.h"

#include <cstddef>

#include "net/checksum.h"
#include "net/headers.h"

namespace ipvsd::net {
namespace {

// Where the checksum field lies in the L4 header, 0 for protocols other than TCP and UDP.
size_t ChecksumOffset(uint8_t protocol) {
  if (protocol == kProtoTcp) return offsetof(TcpHdr, check);
  if (protocol == kProtoUdp) return offsetof(UdpHdr, check);
  return 0;
}

// The TCP or UDP checksum field of a parsed packet, nullptr for other protocols.
Be16* ChecksumField(const PacketView& v) {
  const size_t offset = ChecksumOffset(v.protocol);
  return offset ? HeaderAt<Be16>(v.l4() + offset) : nullptr;
}

// The folded (not complemented) pseudo-header sum: what an offloading sender stores.
uint16_t FoldedPseudoHeader(Family f, const RawAddr& src, const RawAddr& dst, uint8_t proto, uint32_t l4_len) {
  return static_cast<uint16_t>(~ChecksumFinish(PseudoHeaderSum(f, src, dst, proto, l4_len)));
}

}  // namespace

bool FinishL4Checksum(const PacketView& v) {
  Be16* field = ChecksumField(v);
  if (!field) return false;
  field->set(0);
  uint16_t full = L4Checksum(v.family, v.src, v.dst, v.protocol, v.l4(), v.l4_len());
  if (v.protocol == kProtoUdp && full == 0) full = 0xffff;
  field->set(full);
  return true;
}

bool CompletePartialChecksum(const PacketView& v) {
  const Be16* field = ChecksumField(v);
  if (!field) return false;
  const uint16_t check = field->get();
  if (v.protocol == kProtoUdp && check == 0) return false;  // UDP over IPv4 without a checksum
  if (check != FoldedPseudoHeader(v.family, v.src, v.dst, v.protocol, v.l4_len())) return false;
  return FinishL4Checksum(v);
}

uint16_t SetPartialL4Checksum(const PacketView& v) {
  Be16* field = ChecksumField(v);
  if (!field) return 0;
  RawAddr src, dst;
  if (v.family == Family::kInet6) {
    const auto* ip = HeaderAt<Ipv6Hdr>(v.l3());
    src = RawAddr::FromBytes(ip->saddr, v.family);
    dst = RawAddr::FromBytes(ip->daddr, v.family);
  } else {
    const auto* ip = HeaderAt<Ipv4Hdr>(v.l3());
    src = RawAddr::FromBytes(ip->saddr, v.family);
    dst = RawAddr::FromBytes(ip->daddr, v.family);
  }
  field->set(FoldedPseudoHeader(v.family, src, dst, v.protocol, v.l4_len()));
  return static_cast<uint16_t>(ChecksumOffset(v.protocol));
}

}  // namespace ipvsd::net
