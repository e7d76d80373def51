#include "core/service.h"

#include <bit>
#include <cstring>

#include "base/hash.h"
#include "net/headers.h"

namespace ipvsd::core {

size_t ServiceKeyHash::operator()(const ServiceKey& k) const {
  // Looked up for every new connection: one mixing round over the key's three words.
  uint64_t lo, hi;
  std::memcpy(&lo, k.addr.bytes.data(), 8);
  std::memcpy(&hi, k.addr.bytes.data() + 8, 8);
  uint64_t rest = uint64_t{k.fwmark} << 32 | uint64_t{k.protocol} << 24 | uint64_t{k.port} << 8 |
                  static_cast<uint64_t>(k.family);
  return static_cast<size_t>(Mix64(lo * 0x9e3779b97f4a7c15ull ^ std::rotl(hi, 29) ^ rest));
}

Dest* Service::FindDest(const net::IpAddr& addr, uint16_t port) const {
  for (const DestPtr& d : dests) {
    if (d->addr() == addr && d->port() == port) return d.get();
  }
  return nullptr;
}

bool Service::SynproxyCapable() const {
  if (config.key.fwmark != 0 || config.key.protocol != net::kProtoTcp || dests.empty()) return false;
  for (const DestPtr& d : dests) {
    if (d->fwd() != FwdMethod::kMasq) return false;
  }
  return true;
}

}  // namespace ipvsd::core
