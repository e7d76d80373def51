#include "core/service_table.h"

namespace ipvsd::core {

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
  if (!map_.has_port_zero()) return nullptr;
  k.port = 0;
  return FindKey(k);
}

}  // namespace ipvsd::core
