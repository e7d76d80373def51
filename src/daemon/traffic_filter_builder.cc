#include "daemon/traffic_filter_builder.h"

#include <algorithm>

namespace ipvsd::daemon {

TrafficFilterTracker::Contribution TrafficFilterTracker::Of(const core::Service& s) {
  Contribution c;
  const core::ServiceKey& k = s.key();
  if (k.fwmark != 0) return c;
  c.has_match = true;
  c.match = io::L4Match{k.family, k.protocol, k.addr, k.port};
  for (const core::DestPtr& d : s.dests) {
    if (d->fwd() != core::FwdMethod::kMasq) continue;
    io::L4Match m{d->family(), k.protocol, d->addr().raw, d->port()};
    if (std::find(c.nat_sources.begin(), c.nat_sources.end(), m) == c.nat_sources.end()) c.nat_sources.push_back(m);
  }
  return c;
}

io::TrafficFilterChange TrafficFilterTracker::Update(const core::ServiceTable& table) {
  io::TrafficFilterChange change;
  std::map<io::L4Match, int> nat_delta;
  core::ServiceMap::Diff(seen_, table.map(), [&](const core::Service* before, const core::Service* after) {
    const core::ServiceKey& key = before ? before->key() : after->key();
    if (before) {
      auto it = contributed_.find(key);
      if (it != contributed_.end()) {
        if (it->second.has_match && !after) change.remove_services.push_back(it->second.match);
        for (const io::L4Match& m : it->second.nat_sources) --nat_delta[m];
        contributed_.erase(it);
      }
    }
    if (after) {
      Contribution c = Of(*after);
      if (c.has_match && !before) change.add_services.push_back(c.match);
      for (const io::L4Match& m : c.nat_sources) ++nat_delta[m];
      contributed_.emplace(key, std::move(c));
    }
  });
  for (const auto& [m, delta] : nat_delta) {
    if (delta == 0) continue;
    uint32_t& users = nat_source_users_[m];
    const uint32_t was = users;
    users = static_cast<uint32_t>(static_cast<int64_t>(users) + delta);
    if (was == 0 && users > 0) change.add_nat_sources.push_back(m);
    if (was > 0 && users == 0) change.remove_nat_sources.push_back(m);
    if (users == 0) nat_source_users_.erase(m);
  }
  seen_ = table.map();
  return change;
}

}  // namespace ipvsd::daemon
