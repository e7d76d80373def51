// File: core/service_table.h
//
// ServiceTable is one immutable snapshot of every virtual service. The control plane builds
// a new one for each change and publishes it with one atomic swap (ServiceManager); workers
// pick it up between batches and look services up on the new-connection path only. Its
// ServiceMap shares every untouched service with the previous snapshot, so a change costs
// what it changes.
#pragma once

#include <cstdint>
#include <vector>

#include "core/service_map.h"

namespace ipvsd::core {

class ServiceTable {
 public:
  ServiceTable() = default;
  ServiceTable(ServiceMap map, uint64_t generation) : map_(std::move(map)), generation_(generation) {}

  // The service a packet belongs to, in the kernel's order (ip_vs_service_find): the
  // firewall-mark service when the packet carries a mark, else the exact (protocol,
  // address, port), else a port-zero service of that address. nullptr when none.
  const Service* Find(uint32_t mark, net::Family family, uint8_t protocol, const net::RawAddr& addr,
                      uint16_t port) const;
  const Service* FindKey(const ServiceKey& key) const { return map_.Find(key); }

  const ServiceMap& map() const { return map_; }
  size_t size() const { return map_.size(); }
  // Services in the order they were added (ipvsadm sorts for display itself).
  std::vector<ServicePtr> InOrder() const { return map_.InOrder(); }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    map_.ForEach(fn);
  }
  uint64_t generation() const { return generation_; }

 private:
  ServiceMap map_;
  uint64_t generation_ = 0;
};

}  // namespace ipvsd::core
