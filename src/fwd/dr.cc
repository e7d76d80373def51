#include "fwd/dr.h"

#include "fwd/xmit_checks.h"
#include "net/checksum.h"

namespace ipvsd::fwd {

FwdStatus DrXmit(const net::PacketView& pkt, uint32_t mtu, uint32_t* mtu_out) {
  if (TtlExpired(pkt)) return FwdStatus::kTtlExceeded;
  if (ExceedsMtu(pkt, mtu)) {
    *mtu_out = mtu;
    return FwdStatus::kTooBig;
  }
  DecrementTtl(pkt);
  if (pkt.family == net::Family::kInet) net::SetIpv4HeaderChecksum(pkt.l3());
  return FwdStatus::kOk;
}

}  // namespace ipvsd::fwd
