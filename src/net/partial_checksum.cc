#include "net/partial_checksum.h"

#include "net/checksum.h"
#include "net/headers.h"

namespace ipvsd::net {

bool CompletePartialChecksum(const PacketView& v) {
  size_t field;
  if (v.protocol == kProtoTcp) {
    field = 16;
  } else if (v.protocol == kProtoUdp) {
    field = 6;
  } else {
    return false;
  }
  uint8_t* l4 = v.l4();
  uint16_t check = static_cast<uint16_t>(l4[field] << 8 | l4[field + 1]);
  if (v.protocol == kProtoUdp && check == 0) return false;  // UDP over IPv4 without a checksum
  uint32_t pseudo = PseudoHeaderSum(v.family, v.src, v.dst, v.protocol, v.l4_len());
  if (check != static_cast<uint16_t>(~ChecksumFinish(pseudo))) return false;
  l4[field] = l4[field + 1] = 0;
  uint16_t full = L4Checksum(v.family, v.src, v.dst, v.protocol, l4, v.l4_len());
  if (v.protocol == kProtoUdp && full == 0) full = 0xffff;
  l4[field] = static_cast<uint8_t>(full >> 8);
  l4[field + 1] = static_cast<uint8_t>(full);
  return true;
}

}  // namespace ipvsd::net
