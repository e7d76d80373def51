// File: core/scheduler.h
//
// The one small interface every IPVS scheduler implements (kernel: struct ip_vs_scheduler in
// include/net/ip_vs.h). The implementations live in src/sched/, one file each, and are made
// by name through sched/registry.h; the interface sits here, beside Service, because a
// service owns its scheduler object.
//
// A scheduler object holds the per-service state (the kernel's sched_data, typed). Its
// callers serialise every call with the service's scheduler lock, so implementations keep
// plain members. Pick() is on the new-connection path: it must not allocate or block.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/clock.h"
#include "core/dest.h"
#include "net/ip_addr.h"

namespace ipvsd::core {

// What a scheduler may look at when it places a new connection.
struct FlowKey {
  net::Family family = net::Family::kUnspec;
  uint8_t protocol = 0;
  net::RawAddr saddr;  // client
  net::RawAddr daddr;  // virtual address the client asked for
  uint16_t sport = 0;  // host order
  uint16_t dport = 0;
};

// Service flags with the kernel's IP_VS_SVC_F_* values.
inline constexpr uint32_t kSvcPersistent = 0x0001;
inline constexpr uint32_t kSvcHashed = 0x0002;
inline constexpr uint32_t kSvcOnePacket = 0x0004;
inline constexpr uint32_t kSvcSched1 = 0x0008;  // sh-fallback / mh-fallback / flag-1
inline constexpr uint32_t kSvcSched2 = 0x0010;  // sh-port / mh-port / flag-2
inline constexpr uint32_t kSvcSched3 = 0x0020;  // flag-3
inline constexpr uint32_t kSvcSchedFlags = kSvcSched1 | kSvcSched2 | kSvcSched3;
// ipvsd's own, above the kernel's range: any non-RST TCP segment (any SCTP packet but ABORT)
// may create a connection of this service, as the sloppy_tcp/sloppy_sctp sysctls do for all.
inline constexpr uint32_t kSvcSloppy = 0x00010000;
// ipvsd's own: the director answers SYNs with SYN cookies and opens connections only for
// clients that return one (docs/synproxy.md). TCP services with NAT real servers only.
inline constexpr uint32_t kSvcSynproxy = 0x00020000;

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string_view name() const = 0;
  // Called after every add, edit or delete of a destination, and once at creation, with
  // the service's destinations in the kernel's list order (newest first). Rebuild tables
  // here, never in Pick(). The pointers stay valid until the next call.
  virtual void OnDestsChanged(std::span<Dest* const> dests) = 0;
  // The destination for a new connection, or nullptr when none is available (weight 0,
  // overloaded, or no destination at all).
  virtual Dest* Pick(const FlowKey& flow, Ticks now) = 0;
};

}  // namespace ipvsd::core
