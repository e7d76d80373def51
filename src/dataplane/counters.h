// File: dataplane/counters.h
//
// What a worker did with the frames it saw, by verdict and drop reason. Per worker, written
// by that worker only (relaxed single-writer stores), summed by the control thread. The
// packet path counts every drop here instead of logging.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "core/conn_sync.h"

namespace ipvsd::dataplane {

enum class DropReason : uint8_t {
  kTruncated = 0,      // shorter than a header or length says
  kBadIpHeader,
  kBadIpChecksum,      // IPv4 header checksum wrong (net/rx_checks.h)
  kMartianSource,      // a source no packet may come from: loopback, multicast, ... (net/rx_checks.h)
  kMartianDestination, // a destination no packet may be received for: loopback, 0/8, ...
  kBadL4Header,
  kFragment,           // IP fragments (ipvsd does not reassemble)
  kNoDest,             // no available real server (an ICMP port unreachable went back)
  kTableFull,          // the connection table is full
  kNotNewConn,         // a packet that may not start a connection (TCP without SYN: a reset went back)
  kDestUnavailable,    // the connection's real server was deleted
  kNoRoute,            // no route or unresolved neighbour towards the next hop
  kTtlExceeded,        // (an ICMP time exceeded went back)
  kTooBig,             // (an ICMP fragmentation needed / packet too big went back)
  kReplyRateLimited,   // one of the above that the reply limits kept from being answered
                       // (dataplane/reply_limiter.h); counted here instead of under its reason
  kNoHeadroom,
  kUnsupported,
  kAggregateToTunnel,  // a TCP aggregate (AF_PACKET --gso) for a TUN real server: not segmented here
  kHandoffFull,        // its connection's worker has kRingSize of this worker's frames already
  kDefenceDropPacket,  // a new connection's packet dropped by drop_packet (core/table_defence.h)
  kSynCookieInvalid,   // an ACK to a SYN proxy service with no connection and no valid cookie
  kSynproxyPending,    // a client packet before the real server completed its handshake (retransmitted)
  kCount
};
inline constexpr int kDropReasonCount = static_cast<int>(DropReason::kCount);
const char* DropReasonName(DropReason r);

struct WorkerCounters {
  std::atomic<uint64_t> rx{0};
  std::atomic<uint64_t> tx{0};
  std::atomic<uint64_t> passed{0};
  std::atomic<uint64_t> icmp_sent{0};
  std::atomic<uint64_t> resets_sent{0};  // TCP resets for stray segments to a service
  std::atomic<uint64_t> checksums_completed{0};  // partial TCP/UDP checksums (net/partial_checksum.h)
  std::atomic<uint64_t> handed_off{0};  // frames handed to the worker owning their connection
  std::atomic<uint64_t> handed_in{0};   // frames processed for other workers
  std::atomic<uint64_t> connections{0};  // entries in its connection table, as of its last poll
  // The table-full defences (core/table_defence.h): entries drop_entry removed, and whether
  // the shard is short of free entries (1) as of the last second.
  std::atomic<uint64_t> entries_dropped{0};
  std::atomic<uint64_t> table_short{0};
  std::array<std::atomic<uint64_t>, kDropReasonCount> drops{};
  // Connection sync: records queued for the master thread, records lost to a full queue,
  // and what became of the records the backup thread handed over.
  std::atomic<uint64_t> sync_queued{0};
  std::atomic<uint64_t> sync_queue_full{0};
  std::array<std::atomic<uint64_t>, core::kInstallResultCount> sync_installs{};
  // SYN proxy (docs/synproxy.md): SYN-ACKs with a cookie sent, connections opened by a
  // valid cookie.
  std::atomic<uint64_t> syn_cookies_sent{0};
  std::atomic<uint64_t> synproxy_opened{0};
  // Flow offload (io/flow_offload.h): flow directions handed down, taken back, and the packets
  // the forwarder below moved for this worker's connections (as read once a second).
  std::atomic<uint64_t> flows_offloaded{0};
  std::atomic<uint64_t> flows_withdrawn{0};
  std::atomic<uint64_t> offloaded_packets{0};
  // Polls begun: moves on even when idle, so the systemd watchdog (daemon/systemd_notify.h)
  // reads a counter that stands still as a worker that is stuck.
  std::atomic<uint64_t> polls{0};

  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void Drop(DropReason r) { Bump(drops[static_cast<int>(r)]); }
  uint64_t drops_of(DropReason r) const { return drops[static_cast<int>(r)].load(std::memory_order_relaxed); }
  uint64_t total_drops() const;
};

}  // namespace ipvsd::dataplane
