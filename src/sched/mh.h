// File: sched/mh.h
//
// mh — Maglev Hashing (kernel: net/netfilter/ipvs/ip_vs_mh.c, Linux >= 4.18; Eisenbud et
// al., "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016, §3.4). A
// lookup table of M = 4093 slots (the kernel's default CONFIG_IP_VS_MH_TAB_INDEX 12) is filled
// by letting every destination claim, in turn, the next free slot of its own permutation
// offset, offset + skip, offset + 2 skip, ... (mod M), where offset and skip are hsiphash()es
// of the destination's address and port under two fixed keys. A destination takes
// (last_weight / gcd) >> rshift turns per round, rshift keeping the largest at 6 bits. The
// client's address (and, with mh-port, its source port) hashed under the first key, mod M,
// picks the slot. Properties the kernel relies on and we keep:
// - the table depends only on the destinations (list order, address, port, last_weight), so
//   rebuilding with the same set gives the same table, and removing one of N destinations
//   moves little more than its own 1/N of the clients;
// - it is built from last_weight, the last non-zero weight, so quiescing a server (weight 0)
//   leaves the table and every other client where they were; its own clients get no server,
//   or with mh-fallback (kSvcSched1) the next available one found by probing the slots of
//   offsets ihash, ihash + 1, ... (mod M), stopping at an empty slot;
// - mh-port (kSvcSched2) mixes the TCP/UDP/SCTP source port into the client hash.
// Deviation: the kernel folds every address with the service's family; we fold a
// destination's address with its own family, which differs only for an IPv6 real server
// behind an IPv4 service (tunnel mode).
// Pick: O(1) (one 4-byte SipHash-1-3), O(M) with fallback when servers are down.
// OnDestsChanged: O(M + n) time, O(M) bits of scratch.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/scheduler.h"
#include "sched/hsiphash.h"

namespace ipvsd::sched {

class MhScheduler final : public core::Scheduler {
 public:
  static constexpr uint32_t kTableSize = 4093;  // primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]

  explicit MhScheduler(uint32_t svc_flags);

  std::string_view name() const override { return "mh"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

  // The lookup table, for tests and diagnostics.
  std::span<core::Dest* const> table() const { return table_; }

 private:
  void Populate(std::span<core::Dest* const> dests);

  const uint32_t svc_flags_;
  std::vector<core::Dest*> table_;  // kTableSize slots, allocated once
};

// The kernel's ip_vs_mh_hashkey(): hsiphash of the 32-bit sum offset + port + fold(addr).
uint32_t MhHashKey(uint32_t addr_fold, uint16_t port, const HsiphashKey& key, uint32_t offset);

}  // namespace ipvsd::sched
