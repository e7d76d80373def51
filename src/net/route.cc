#include "net/route.h"

namespace ipvsd::net {

bool StaticRouter::Lookup(Family family, const RawAddr& dst, NextHop* out) {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (r.prefix.family != family) continue;
    RawAddr masked = family == Family::kInet6
                         ? MaskV6(dst, r.prefix_len)
                         : MaskV4(dst, r.prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - r.prefix_len));
    if (masked != r.prefix.raw) continue;
    if (!best || r.prefix_len > best->prefix_len) best = &r;
  }
  if (!best) return false;
  *out = best->hop;
  for (const Neighbour& n : neighbours_) {
    if (n.addr.family == family && n.addr.raw == dst) out->dst_mac = n.mac;
  }
  return true;
}

}  // namespace ipvsd::net
