#include "core/stats.h"

namespace ipvsd::core {

StatsValues Stats::Total() const {
  StatsValues t;
  for (const Shard& s : shards_) {
    t.conns += s.conns.load(std::memory_order_relaxed);
    t.inpkts += s.inpkts.load(std::memory_order_relaxed);
    t.outpkts += s.outpkts.load(std::memory_order_relaxed);
    t.inbytes += s.inbytes.load(std::memory_order_relaxed);
    t.outbytes += s.outbytes.load(std::memory_order_relaxed);
  }
  return t;
}

}  // namespace ipvsd::core
