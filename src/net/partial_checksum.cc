#include "net/partial_checksum.h"

#include "net/checksum.h"
#include "net/headers.h"

namespace ipvsd::net {
namespace {

// Where the checksum field lies in the L4 header, 0 when the protocol has none we handle.
size_t ChecksumField(uint8_t protocol) {
  if (protocol == kProtoTcp) return 16;
  if (protocol == kProtoUdp) return 6;
  return 0;
}

uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

void Write16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// The folded (not complemented) pseudo-header sum: what an offloading sender stores.
uint16_t FoldedPseudoHeader(Family f, const RawAddr& src, const RawAddr& dst, uint8_t proto, uint32_t l4_len) {
  return static_cast<uint16_t>(~ChecksumFinish(PseudoHeaderSum(f, src, dst, proto, l4_len)));
}

}  // namespace

bool FinishL4Checksum(const PacketView& v) {
  const size_t field = ChecksumField(v.protocol);
  if (!field) return false;
  uint8_t* l4 = v.l4();
  Write16(l4 + field, 0);
  uint16_t full = L4Checksum(v.family, v.src, v.dst, v.protocol, l4, v.l4_len());
  if (v.protocol == kProtoUdp && full == 0) full = 0xffff;
  Write16(l4 + field, full);
  return true;
}

bool CompletePartialChecksum(const PacketView& v) {
  const size_t field = ChecksumField(v.protocol);
  if (!field) return false;
  const uint16_t check = Read16(v.l4() + field);
  if (v.protocol == kProtoUdp && check == 0) return false;  // UDP over IPv4 without a checksum
  if (check != FoldedPseudoHeader(v.family, v.src, v.dst, v.protocol, v.l4_len())) return false;
  return FinishL4Checksum(v);
}

uint16_t SetPartialL4Checksum(const PacketView& v) {
  const size_t field = ChecksumField(v.protocol);
  if (!field) return 0;
  const bool v6 = v.family == Family::kInet6;
  const uint8_t* addrs = v.l3() + (v6 ? 8 : 12);
  const size_t n = v6 ? 16 : 4;
  const RawAddr src = RawAddr::FromBytes(addrs, v.family), dst = RawAddr::FromBytes(addrs + n, v.family);
  Write16(v.l4() + field, FoldedPseudoHeader(v.family, src, dst, v.protocol, v.l4_len()));
  return static_cast<uint16_t>(field);
}

}  // namespace ipvsd::net
