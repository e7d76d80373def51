#include "core/service_table.h"

namespace ipvsd::core {

ServiceTable::ServiceTable(std::vector<ServicePtr> services, uint64_t generation)
    : services_(std::move(services)), generation_(generation) {
  by_key_.reserve(services_.size());
  for (const ServicePtr& s : services_) {
    by_key_.emplace(s->key(), s.get());
    if (s->key().fwmark == 0 && s->key().port == 0) has_port_zero_ = true;
  }
}

const Service* ServiceTable::FindKey(const ServiceKey& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

const Service* ServiceTable::Find(uint32_t mark, net::Family family, uint8_t protocol, const net::RawAddr& addr,
                                  uint16_t port) const {
  if (mark != 0) {
    ServiceKey k;
    k.fwmark = mark;
    k.family = family;
    if (const Service* s = FindKey(k)) return s;
  }
  ServiceKey k;
  k.family = family;
  k.protocol = protocol;
  k.addr = addr;
  k.port = port;
  if (const Service* s = FindKey(k)) return s;
  if (!has_port_zero_) return nullptr;
  k.port = 0;
  return FindKey(k);
}

}  // namespace ipvsd::core
