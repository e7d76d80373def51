#include "core/stats.h"

#include <algorithm>
#include <span>

namespace ipvsd::core {

namespace {
std::atomic<int> g_shard_count{kMaxWorkers};
}  // namespace

void Stats::SetShardCount(int workers) { g_shard_count.store(std::clamp(workers, 1, kMaxWorkers)); }

Stats::Stats()
    : shard_count_(g_shard_count.load()), shards_(std::make_unique<Shard[]>(static_cast<size_t>(shard_count_))) {}

StatsValues Stats::Total() const {
  StatsValues t = carried_;
  for (const Shard& s : std::span(shards_.get(), static_cast<size_t>(shard_count_))) {
    t.conns += s.conns.load(std::memory_order_relaxed);
    t.inpkts += s.inpkts.load(std::memory_order_relaxed);
    t.outpkts += s.outpkts.load(std::memory_order_relaxed);
    t.inbytes += s.inbytes.load(std::memory_order_relaxed);
    t.outbytes += s.outbytes.load(std::memory_order_relaxed);
  }
  return t;
}

}  // namespace ipvsd::core
