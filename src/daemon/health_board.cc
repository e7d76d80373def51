#include "daemon/health_board.h"

namespace ipvsd::daemon {

size_t HealthBoard::KeyHash::operator()(const Key& k) const {
  core::ServiceKey server;
  server.family = k.addr.family;
  server.addr = k.addr.raw;
  server.port = k.port;
  return core::ServiceKeyHash{}(k.service) * 31 + core::ServiceKeyHash{}(server);
}

void HealthBoard::Report(const std::vector<Entry>& entries) {
  std::lock_guard lock(mu_);
  for (const Entry& e : entries) entries_[Key{e.service, e.addr, e.port}] = e;
}

}  // namespace ipvsd::daemon
