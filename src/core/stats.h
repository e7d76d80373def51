// File: core/stats.h
//
// Traffic counters kept per service and per destination, as kernel IPVS keeps them: conns,
// inpkts, outpkts, inbytes, outbytes. Each worker writes only its own cache-line shard
// (single writer, relaxed atomics, no lock, no bouncing line); the control thread sums the
// shards when it reads. Zeroing (-Z) moves a base point instead of touching the shards, as
// the kernel's ip_vs_zero_stats does.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "core/estimator.h"

namespace ipvsd::core {

inline constexpr int kMaxWorkers = 16;

class Stats {
 public:
  // The shards (one per worker) of every Stats made from now on. ipvsd sets its worker count
  // once at start-up, before the first Stats exists, so that each service and real server
  // carries 64 bytes of counters per worker it has rather than per worker it could have.
  static void SetShardCount(int workers);
  Stats();
  // Writer side: worker w only. A load + store, not a read-modify-write: each shard has one writer.
  void AddConn(int w) { Bump(shards_[w].conns, 1); }
  void AddIn(int w, uint32_t bytes) {
    Bump(shards_[w].inpkts, 1);
    Bump(shards_[w].inbytes, bytes);
  }
  void AddOut(int w, uint32_t bytes) {
    Bump(shards_[w].outpkts, 1);
    Bump(shards_[w].outbytes, bytes);
  }
  // Many packets at once: what a forwarder below user space counted (io/flow_offload.h).
  void AddIn(int w, uint64_t packets, uint64_t bytes) {
    Bump(shards_[w].inpkts, packets);
    Bump(shards_[w].inbytes, bytes);
  }
  void AddOut(int w, uint64_t packets, uint64_t bytes) {
    Bump(shards_[w].outpkts, packets);
    Bump(shards_[w].outbytes, bytes);
  }

  // Reader side (control thread): totals since creation, and since the last Zero().
  StatsValues Total() const;
  StatsValues Current() const { return Total() - zero_base_; }
  void Zero() {
    zero_base_ = Total();
    estimator_.Reset(zero_base_);
  }
  // Counts carried over from another process (ipvsd --takeover): they add to the totals, and
  // the rates start from them rather than counting them as traffic. Control thread only.
  void Carry(const StatsValues& v) {
    carried_ += v;
    estimator_.Reset(Total());
  }
  // The 2-second estimator step, and the rates it shows (control thread only).
  void EstimatorTick() { estimator_.Tick(Total()); }
  RateValues Rates() const { return estimator_.Read(); }

 private:
  struct alignas(64) Shard {
    std::atomic<uint64_t> conns{0};
    std::atomic<uint64_t> inpkts{0};
    std::atomic<uint64_t> outpkts{0};
    std::atomic<uint64_t> inbytes{0};
    std::atomic<uint64_t> outbytes{0};
  };
  static void Bump(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  int shard_count_;
  std::unique_ptr<Shard[]> shards_;
  StatsValues zero_base_;
  StatsValues carried_;
  RateEstimator estimator_;
};

}  // namespace ipvsd::core
