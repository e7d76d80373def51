// File: core/service.h
//
// A virtual service: (protocol, VIP, port) or a firewall mark, its configuration, its
// destinations and its scheduler. Service objects are immutable once published in a
// ServiceTable; an ipvsadm change builds new Service objects. What must outlive one snapshot
// is shared: the Dests (with their counters), the service's Stats, and the SchedulerSlot (so
// that rr keeps its cursor and wrr its position when a destination is added).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/dest.h"
#include "core/scheduler.h"
#include "core/stats.h"
#include "net/ip_addr.h"

namespace ipvsd::core {

struct ServiceKey {
  uint32_t fwmark = 0;  // non-zero: a firewall-mark service; protocol, addr and port are 0
  net::Family family = net::Family::kInet;
  uint8_t protocol = 0;  // net::kProtoTcp / kProtoUdp / kProtoSctp; 0 for fwmark services
  net::RawAddr addr;
  uint16_t port = 0;

  friend bool operator==(const ServiceKey&, const ServiceKey&) = default;
};

struct ServiceKeyHash {
  size_t operator()(const ServiceKey& k) const;
};

inline constexpr uint32_t kDefaultPersistentTimeout = 360;  // ipvsadm's -p without a value

struct ServiceConfig {
  ServiceKey key;
  std::string sched_name = "wlc";
  uint32_t flags = 0;                 // kSvc* flags
  uint32_t timeout = 0;               // persistence timeout in seconds (kSvcPersistent)
  uint32_t netmask = 0xffffffffu;     // IPv4: netmask in host order; IPv6: prefix length
  std::string pe_name;                // persistence engine ("sip"), empty for none

  bool persistent() const { return flags & kSvcPersistent; }
};

// A tiny test-and-test-and-set lock. It serialises a service's scheduler on the
// new-connection path only (as the kernel's sched_lock); established traffic never takes it.
class SpinLock {
 public:
  void lock() {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  void unlock() { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

// The scheduler object of a service and the lock that serialises it.
struct SchedulerSlot {
  SpinLock lock;
  std::unique_ptr<Scheduler> scheduler;

  Dest* Pick(const FlowKey& flow, Ticks now) {
    lock.lock();
    Dest* d = scheduler->Pick(flow, now);
    lock.unlock();
    return d;
  }
};

struct Service {
  ServiceConfig config;
  std::vector<DestPtr> dests;  // kernel list order: newest first
  std::shared_ptr<Stats> stats;
  std::shared_ptr<SchedulerSlot> sched;
  uint64_t seq = 0;  // when it was added: listings keep that order

  const ServiceKey& key() const { return config.key; }
  // The destination with that address and port, or nullptr.
  Dest* FindDest(const net::IpAddr& addr, uint16_t port) const;
  // Whether the SYN proxy can serve it: a TCP service (not a firewall mark) whose real
  // servers all use NAT, the one method whose replies come back through the director.
  bool SynproxyCapable() const;
};

using ServicePtr = std::shared_ptr<const Service>;

}  // namespace ipvsd::core
