#include "daemon/traffic_filter_builder.h"

#include <algorithm>

namespace ipvsd::daemon {

io::TrafficFilter BuildTrafficFilter(const core::ServiceTable& table) {
  io::TrafficFilter f;
  for (const core::ServicePtr& s : table.services()) {
    const core::ServiceKey& k = s->key();
    if (k.fwmark != 0) continue;
    f.services.push_back(io::L4Match{k.family, k.protocol, k.addr, k.port});
    for (const core::DestPtr& d : s->dests) {
      if (d->fwd() != core::FwdMethod::kMasq) continue;
      io::L4Match m{d->family(), k.protocol, d->addr().raw, d->port()};
      if (std::find(f.nat_sources.begin(), f.nat_sources.end(), m) == f.nat_sources.end()) f.nat_sources.push_back(m);
    }
  }
  return f;
}

}  // namespace ipvsd::daemon
