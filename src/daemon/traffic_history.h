// File: daemon/traffic_history.h
//
// Each service's new connections per second over the last minutes, one point per estimator
// tick (2 s), for the status page's graphs. Recorded by the control thread, read by the
// metrics server's threads.
#pragma once

#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/service_table.h"
#include "daemon/observation.h"

namespace ipvsd::daemon {

class TrafficHistory {
 public:
  // One point per service of `table` (its estimator's cps); services gone are forgotten.
  void Record(const core::ServiceTable& table);
  std::vector<uint64_t> Of(const core::ServiceKey& key) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<core::ServiceKey, std::deque<uint64_t>, core::ServiceKeyHash> points_;
};

}  // namespace ipvsd::daemon
