// File: io/netlink/netlink_router.h
//
// NetlinkRouter is the net::Router of a real director: it answers "which interface, which
// MAC addresses, which source address and MTU" for every packet a worker transmits, from a
// cached copy of the kernel's links, addresses, main-table routes and neighbours. A
// background thread dumps those tables over rtnetlink, subscribes to their change
// notifications, and republishes an immutable Snapshot after every batch of changes with one
// atomic pointer swap. Workers read the current snapshot without locks, allocation or system
// calls; a retired snapshot is freed only after a grace period that is many orders of
// magnitude longer than one Lookup.
//
// The kernel never sees the packets ipvsd transmits, so it would never resolve (or refresh)
// the neighbours they go to. Lookup therefore reports what it could not resolve to the
// background thread (through a small try-locked queue, never a system call on the worker),
// and the thread asks the kernel to resolve it with RTM_NEWNEIGH + NTF_USE, the netlink
// form of "this neighbour is in use": for a missing, INCOMPLETE or FAILED entry the kernel
// starts ARP/ND exactly as if it had a packet of its own to send, and a STALE entry moves to
// DELAY/PROBE and is re-confirmed by unicast. No packet is sent to the destination itself
// (which a connected-UDP-socket trick would do), and the answer arrives as an ordinary
// RTM_NEWNEIGH notification that the next snapshot picks up.
//
//   Result<std::unique_ptr<NetlinkRouter>> r = NetlinkRouter::Open();
//   if (!r) return r.error();
//   net::NextHop hop;
//   if ((*r)->Lookup(net::Family::kInet, dst, &hop)) { /* transmit on hop.ifindex */ }
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"
#include "net/route.h"

namespace ipvsd::io {

class NetlinkRouter final : public net::Router {
 public:
  struct Stats {
    uint64_t snapshots = 0;          // snapshots published (one per batch of kernel changes)
    uint64_t resolve_requests = 0;   // RTM_NEWNEIGH/NTF_USE requests sent to the kernel
    uint64_t resolve_errors = 0;     // of those, refused by the kernel
    uint64_t resyncs = 0;            // full or route-only re-dumps (overruns, link/address loss)
  };

  // Opens the rtnetlink sockets in the caller's network namespace, dumps the tables once
  // (so that the first Lookup already sees them) and starts the background thread.
  static Result<std::unique_ptr<NetlinkRouter>> Open();
  ~NetlinkRouter() override;
  NetlinkRouter(const NetlinkRouter&) = delete;
  NetlinkRouter& operator=(const NetlinkRouter&) = delete;

  // Longest-prefix match in the main table, then the next hop's neighbour entry. False when
  // there is no usable route, the interface is down or has no MAC, or the neighbour is not
  // resolved yet (resolution is then requested in the background). Thread-safe for any
  // number of readers; no allocation, lock or system call.
  bool Lookup(net::Family family, const net::RawAddr& dst, net::NextHop* out) override;
  // The number of snapshots published: a new one comes with every batch of kernel changes.
  uint64_t generation() const override { return snapshots_.load(std::memory_order_acquire); }

  // Stops and joins the background thread; Lookup keeps answering from the last snapshot.
  void Stop();

  Stats stats() const;

  struct Snapshot;  // defined in netlink_router.cc
  struct State;     // the background thread's mutable copy of the kernel tables

 private:
  // A neighbour the background thread should ask the kernel to resolve.
  struct ResolveRequest {
    net::Family family = net::Family::kInet;
    uint32_t ifindex = 0;
    net::RawAddr addr;
  };
  static constexpr size_t kResolveQueueSize = 64;
  static constexpr size_t kMissTags = 256;

  NetlinkRouter();
  Status Init();
  void Run();
  void RequestResolve(net::Family family, uint32_t ifindex, const net::RawAddr& addr, bool dedup);
  void ServeResolveRequests();
  void Publish();
  void ReclaimRetired(bool all);

  std::unique_ptr<State> state_;
  std::atomic<const Snapshot*> current_{nullptr};
  struct Retired {
    std::unique_ptr<const Snapshot> snapshot;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<Retired> retired_;  // background thread only

  // Misses: workers try_lock, never wait; a full queue or a busy lock just loses the request
  // (the next packet to that address asks again once the tag below is cleared).
  std::mutex resolve_mu_;
  std::array<ResolveRequest, kResolveQueueSize> resolve_queue_{};
  size_t resolve_count_ = 0;
  // Hash tags of addresses already queued; cleared every second by the background thread so
  // that a destination that keeps missing is asked for about once a second, not per packet.
  std::array<std::atomic<uint64_t>, kMissTags> miss_tags_{};

  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::atomic<uint64_t> snapshots_{0};
  std::atomic<uint64_t> resolve_requests_{0};
  std::atomic<uint64_t> resolve_errors_{0};
  std::atomic<uint64_t> resyncs_{0};
};

}  // namespace ipvsd::io
