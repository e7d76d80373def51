// File: sched/sh.h
//
// sh — Source Hashing (kernel: net/netfilter/ipvs/ip_vs_sh.c): the client's address (and,
// with sh-port, its source port) picks one of 256 buckets,
//   (offset + hash_32(sport + fold(saddr), 8)) & 255,  offset = 0 for the first try,
// so a client keeps its server without any per-client state. The buckets are dealt in list
// order, each destination taking `weight` consecutive buckets (at least one, so a quiesced
// destination keeps a bucket and its clients get no other server), round and round until
// all 256 are dealt. Service flags:
// - sh-fallback (kSvcSched1): when the bucket's server is quiesced or overloaded, try the
//   buckets for offsets ihash, ihash + 1, ... (mod 256) with the same hash, stopping at an
//   empty bucket, so the client is moved deterministically;
// - sh-port (kSvcSched2): mix the TCP/UDP/SCTP source port into the hash (other protocols
//   hash port 0).
// Pick: O(1), O(256) with fallback when servers are down. OnDestsChanged: O(256 + n).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/scheduler.h"
#include "sched/hash_table.h"

namespace ipvsd::sched {

class ShScheduler final : public core::Scheduler {
 public:
  explicit ShScheduler(uint32_t svc_flags) : svc_flags_(svc_flags) {}

  std::string_view name() const override { return "sh"; }
  void OnDestsChanged(std::span<core::Dest* const> dests) override;
  core::Dest* Pick(const core::FlowKey& flow, Ticks now) override;

 private:
  const uint32_t svc_flags_;
  std::array<core::Dest*, kHashTableSize> buckets_{};
};

}  // namespace ipvsd::sched
