// File: core/service_table.h
//
// ServiceTable is one immutable snapshot of every virtual service. The control plane builds
// a new one for each change and publishes it with one atomic swap (ServiceManager); workers
// pick it up between batches and look services up on the new-connection path only.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/service.h"

namespace ipvsd::core {

class ServiceTable {
 public:
  ServiceTable() = default;
  ServiceTable(std::vector<ServicePtr> services, uint64_t generation);

  // The service a packet belongs to, in the kernel's order (ip_vs_service_find): the
  // firewall-mark service when the packet carries a mark, else the exact (protocol,
  // address, port), else a port-zero service of that address. nullptr when none.
  const Service* Find(uint32_t mark, net::Family family, uint8_t protocol, const net::RawAddr& addr,
                      uint16_t port) const;
  const Service* FindKey(const ServiceKey& key) const;

  // Services in the order they were added (ipvsadm sorts for display itself).
  const std::vector<ServicePtr>& services() const { return services_; }
  uint64_t generation() const { return generation_; }
  // True when some service uses a port-zero or fwmark key, so that lookups must try more.
  bool has_port_zero() const { return has_port_zero_; }

 private:
  std::vector<ServicePtr> services_;
  std::unordered_map<ServiceKey, const Service*, ServiceKeyHash> by_key_;
  uint64_t generation_ = 0;
  bool has_port_zero_ = false;
};

}  // namespace ipvsd::core
