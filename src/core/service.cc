#include "core/service.h"

#include "base/hash.h"

namespace ipvsd::core {

size_t ServiceKeyHash::operator()(const ServiceKey& k) const {
  uint64_t h = Mix64(uint64_t{k.fwmark} << 32 | uint64_t{k.protocol} << 16 | k.port);
  const auto* w = reinterpret_cast<const uint8_t*>(k.addr.bytes.data());
  for (int i = 0; i < 16; i += 8) {
    uint64_t v = 0;
    for (int j = 0; j < 8; ++j) v = v << 8 | w[i + j];
    h = HashCombine(h, v);
  }
  return static_cast<size_t>(HashCombine(h, static_cast<uint64_t>(k.family)));
}

Dest* Service::FindDest(const net::IpAddr& addr, uint16_t port) const {
  for (const DestPtr& d : dests) {
    if (d->addr() == addr && d->port() == port) return d.get();
  }
  return nullptr;
}

}  // namespace ipvsd::core
