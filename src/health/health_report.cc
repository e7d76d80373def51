// File: health/health_report.cc
#include "health/health_report.h"

#include <cerrno>

#include "base/log.h"

namespace ipvsd::health {

uint8_t HealthStateOf(const RealServerState& rs) {
  if (rs.alive) return ctl::kHealthUp;
  return rs.in_table ? ctl::kHealthInhibited : ctl::kHealthDown;
}

void HealthReporter::ReportAll(std::span<const VirtualServerPool* const> pools) {
  accepted_.clear();
  for (const VirtualServerPool* pool : pools) accepted_.emplace_back(pool->servers().size(), kNotReported);
  ReportChanges(pools);
}

void HealthReporter::ReportChanges(std::span<const VirtualServerPool* const> pools) {
  if (unsupported_) return;
  struct Reported {
    size_t pool;
    size_t rs;
    uint8_t state;
  };
  std::vector<Reported> reported;
  ctl::HealthReport report;
  for (size_t p = 0; p < pools.size(); ++p) {
    const std::vector<RealServerState>& servers = pools[p]->servers();
    for (size_t r = 0; r < servers.size(); ++r) {
      const uint8_t state = HealthStateOf(servers[r]);
      if (state == accepted_[p][r]) continue;
      reported.push_back({p, r, state});
      for (const ctl::ServiceKey& key : pools[p]->config().keys) {
        report.entries.push_back(ctl::HealthEntry{key, servers[r].cfg.addr, servers[r].cfg.port, state});
      }
    }
  }
  if (report.entries.empty()) return;
  const Status st = send_(report);
  if (st) {
    if (failing_) Log(LogLevel::kInfo, "health reports reach ipvsd again");
    failing_ = false;
    for (const Reported& r : reported) accepted_[r.pool][r.rs] = r.state;
    return;
  }
  if (st.error().code == EBADRQC) {
    Log(LogLevel::kWarning, "ipvsd does not take health reports (older version): not sending them");
    unsupported_ = true;
    return;
  }
  if (!failing_) {
    Log(LogLevel::kWarning, "health report not sent to ipvsd (retried with the next one): %s",
        st.error().message.c_str());
  }
  failing_ = true;
}

}  // namespace ipvsd::health
