// File: core/service_manager.h
//
// ServiceManager is the control plane's model of the virtual services: the operations of
// ipvsadm (add/edit/delete services and destinations, flush, zero) with the kernel's checks
// and errno values (ip_vs_ctl.c), each applied all-or-nothing: it validates, builds a new
// ServiceTable and publishes it with one atomic swap, or changes nothing and returns the
// error. Several control clients may call it at once; a mutex serialises the writers.
// Workers read table() between batches.
//
// Deleted destinations that still have connections wait in a trash list (the kernel's
// dest_trash): re-adding the same server to the same service revives them with their counters;
// PurgeTrash() frees them once no connection and no worker can refer to them any more.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "core/service_table.h"

namespace ipvsd::core {

class ServiceManager {
 public:
  using SchedulerFactory =
      std::function<Result<std::unique_ptr<Scheduler>>(std::string_view name, uint32_t svc_flags)>;

  explicit ServiceManager(SchedulerFactory factory);

  // Errors (errno values, as the kernel returns them to ipvsadm):
  //   AddService: EEXIST exists; ENOENT unknown scheduler or persistence engine; EINVAL bad key/mask.
  //   EditService / DeleteService / Zero(key): ESRCH no such service.
  //   AddDest: ESRCH no service; EEXIST exists; ERANGE weight < 0 or lower > upper threshold;
  //            EINVAL bad address, family mismatch outside tunnelling, GUE without a port.
  //   EditDest / DeleteDest: ESRCH no service; ENOENT no such destination.
  Status AddService(const ServiceConfig& config);
  Status EditService(const ServiceConfig& config);
  Status DeleteService(const ServiceKey& key);
  Status Flush();
  Status AddDest(const ServiceKey& key, const DestConfig& dest);
  Status EditDest(const ServiceKey& key, const DestConfig& dest);
  Status DeleteDest(const ServiceKey& key, const net::IpAddr& addr, uint16_t port);
  // Zeroes the counters and rates of one service and its destinations, or with nullptr of
  // every service, destination and the totals.
  Status Zero(const ServiceKey* key);

  // The published snapshot. Cheap; safe from any thread.
  std::shared_ptr<const ServiceTable> table() const { return table_.load(std::memory_order_acquire); }
  // Increments with every publication; workers compare it each batch before loading table().
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Totals over every service (ipvsd's /proc/net/ip_vs_stats).
  Stats& total_stats() { return total_stats_; }
  // One 2-second estimator step over every service, destination and the totals.
  void EstimatorTick();
  // Frees trashed destinations without connections that no worker can still see: every
  // worker has loaded a table generation at least `oldest_worker_generation`.
  void PurgeTrash(uint64_t oldest_worker_generation);
  size_t trash_size() const;

 private:
  struct Trashed {
    ServiceKey service;
    DestPtr dest;
    uint64_t deleted_in_generation;
  };
  std::vector<ServicePtr> CopyServices() const;
  static std::vector<ServicePtr>::iterator FindIn(std::vector<ServicePtr>& v, const ServiceKey& key);
  void Publish(std::vector<ServicePtr> services);
  void TrashDests(const ServiceKey& key, const std::vector<DestPtr>& dests);
  static void NotifyScheduler(const Service& s);

  SchedulerFactory factory_;
  mutable std::mutex mu_;
  std::atomic<std::shared_ptr<const ServiceTable>> table_;
  std::atomic<uint64_t> generation_{0};
  std::vector<Trashed> trash_;
  Stats total_stats_;
};

}  // namespace ipvsd::core
