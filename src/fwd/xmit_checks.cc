#include "fwd/xmit_checks.h"

#include "net/headers.h"

namespace ipvsd::fwd {

void DecrementTtl(const net::PacketView& pkt) {
  if (pkt.family == net::Family::kInet6) {
    net::HeaderAt<net::Ipv6Hdr>(pkt.l3())->hop_limit--;
  } else {
    net::HeaderAt<net::Ipv4Hdr>(pkt.l3())->ttl--;
  }
}

}  // namespace ipvsd::fwd
