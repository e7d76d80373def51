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
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "core/service_table.h"

namespace ipvsd::core {

// One ipvsadm change, a step of ServiceManager::Apply().
struct ServiceChange {
  enum class Kind : uint8_t { kAddService, kEditService, kDeleteService, kFlush, kAddDest, kEditDest, kDeleteDest, kZero };
  Kind kind = Kind::kFlush;
  ServiceConfig service;  // add/edit service: the whole configuration; the others: its key only
  DestConfig dest;        // the destination changes (delete: its address and port)
  bool all = false;       // kZero: every service and the totals instead of service.key

  static ServiceChange AddService(const ServiceConfig& c) { return {Kind::kAddService, c, {}, false}; }
  static ServiceChange EditService(const ServiceConfig& c) { return {Kind::kEditService, c, {}, false}; }
  static ServiceChange DeleteService(const ServiceKey& k) { return {Kind::kDeleteService, KeyOnly(k), {}, false}; }
  static ServiceChange Flush() { return {}; }
  static ServiceChange AddDest(const ServiceKey& k, const DestConfig& d) { return {Kind::kAddDest, KeyOnly(k), d, false}; }
  static ServiceChange EditDest(const ServiceKey& k, const DestConfig& d) { return {Kind::kEditDest, KeyOnly(k), d, false}; }
  static ServiceChange DeleteDest(const ServiceKey& k, const net::IpAddr& addr, uint16_t port);
  static ServiceChange Zero(const ServiceKey* k);

 private:
  static ServiceConfig KeyOnly(const ServiceKey& k) {
    ServiceConfig c;
    c.key = k;
    return c;
  }
};

class ServiceManager {
 public:
  using SchedulerFactory =
      std::function<Result<std::unique_ptr<Scheduler>>(std::string_view name, uint32_t svc_flags)>;

  explicit ServiceManager(SchedulerFactory factory);

  // Applies the changes in order as one transaction: each is checked against the table as
  // the changes before it left it, and either all of them are published as one new snapshot
  // or, at the first that fails, none is (nothing of the live table, its destinations or the
  // trash is touched until every change has passed). *failed is then that change's index.
  // Errors (errno values, as the kernel returns them to ipvsadm):
  //   AddService: EEXIST exists; ENOENT unknown scheduler or persistence engine; EINVAL bad key/mask.
  //   EditService / DeleteService / Zero(key): ESRCH no such service.
  //   AddDest: ESRCH no service; EEXIST exists; ERANGE weight < 0 or lower > upper threshold;
  //            EINVAL bad address, family mismatch outside tunnelling, GUE without a port.
  //   EditDest / DeleteDest: ESRCH no service; ENOENT no such destination.
  Status Apply(std::span<const ServiceChange> changes, size_t* failed = nullptr);

  // One change each (ipvsadm's single commands).
  Status AddService(const ServiceConfig& config) { return ApplyOne(ServiceChange::AddService(config)); }
  Status EditService(const ServiceConfig& config) { return ApplyOne(ServiceChange::EditService(config)); }
  Status DeleteService(const ServiceKey& key) { return ApplyOne(ServiceChange::DeleteService(key)); }
  Status Flush() { return ApplyOne(ServiceChange::Flush()); }
  Status AddDest(const ServiceKey& key, const DestConfig& dest) { return ApplyOne(ServiceChange::AddDest(key, dest)); }
  Status EditDest(const ServiceKey& key, const DestConfig& dest) { return ApplyOne(ServiceChange::EditDest(key, dest)); }
  Status DeleteDest(const ServiceKey& key, const net::IpAddr& addr, uint16_t port) {
    return ApplyOne(ServiceChange::DeleteDest(key, addr, port));
  }
  // Zeroes the counters and rates of one service and its destinations, or with nullptr of
  // every service, destination and the totals.
  Status Zero(const ServiceKey* key) { return ApplyOne(ServiceChange::Zero(key)); }

  // The published snapshot. Cheap; safe from any thread.
  std::shared_ptr<const ServiceTable> table() const { return table_.load(std::memory_order_acquire); }
  // Increments with every publication; workers compare it each batch before loading table().
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Totals over every service (ipvsd's /proc/net/ip_vs_stats).
  Stats& total_stats() { return total_stats_; }
  // Calls fn(table, totals) while the counters' bookkeeping (zero points, estimator) holds
  // still: Apply's -Z and EstimatorTick write it under the same lock. For readers on threads
  // other than the control thread.
  template <typename Fn>
  void ReadCounters(Fn&& fn) const {
    std::lock_guard lock(mu_);
    fn(*table(), total_stats_);
  }
  // One 2-second estimator step over every service, destination and the totals.
  void EstimatorTick();
  // Frees trashed destinations without connections that no worker can still see: every
  // worker has loaded a table generation at least `oldest_worker_generation`.
  void PurgeTrash(uint64_t oldest_worker_generation);
  size_t trash_size() const;

 private:
  // A deleted destination is found again by its service and its own address and port.
  struct TrashKey {
    ServiceKey service;
    net::IpAddr addr;
    uint16_t port = 0;
    friend bool operator==(const TrashKey&, const TrashKey&) = default;
  };
  struct TrashKeyHash {
    size_t operator()(const TrashKey& k) const;
  };
  struct Trashed {
    DestPtr dest;
    uint64_t deleted_in_generation;
  };
  class Draft;

  Status ApplyOne(const ServiceChange& change) { return Apply(std::span(&change, 1)); }
  Status Step(Draft& draft, const ServiceChange& c);
  void Publish(ServiceMap map);
  static void NotifyScheduler(const Service& s);

  SchedulerFactory factory_;
  mutable std::mutex mu_;
  std::atomic<std::shared_ptr<const ServiceTable>> table_;
  std::atomic<uint64_t> generation_{0};
  uint64_t next_seq_ = 0;
  std::unordered_map<TrashKey, Trashed, TrashKeyHash> trash_;
  Stats total_stats_;
};

}  // namespace ipvsd::core
