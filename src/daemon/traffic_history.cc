#include "daemon/traffic_history.h"

namespace ipvsd::daemon {

void TrafficHistory::Record(const core::ServiceTable& table) {
  std::lock_guard lock(mu_);
  std::erase_if(points_, [&](const auto& kv) { return table.FindKey(kv.first) == nullptr; });
  table.ForEach([&](const core::ServicePtr& s) {
    std::deque<uint64_t>& p = points_[s->key()];
    p.push_back(s->stats->Rates().cps);
    if (p.size() > kHistoryPoints) p.pop_front();
  });
}

std::vector<uint64_t> TrafficHistory::Of(const core::ServiceKey& key) const {
  std::lock_guard lock(mu_);
  auto it = points_.find(key);
  return it == points_.end() ? std::vector<uint64_t>{} : std::vector<uint64_t>(it->second.begin(), it->second.end());
}

}  // namespace ipvsd::daemon
