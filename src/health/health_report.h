// File: health/health_report.h
//
// Tells ipvsd what healthd knows of each real server (ctl kReportHealth), for ipvsd's status
// page: up, down (taken out of the table) or inhibited (kept at weight 0). ipvsd only sees the
// table, where a server healthd removed is simply absent; the report keeps it visible, as down.
//
// One report per call, with an entry per service key of the virtual server for each real
// server whose state differs from what ipvsd last accepted: after a report that did not get
// through, the next one carries its servers again. Sorry servers are not reported. Sending is
// never fatal: a failure is logged once per streak, and an ipvsd too old to know the request
// (EBADRQC) is logged once and not sent to again.
//
//   HealthReporter reporter([&](const ctl::HealthReport& r) { return ops.ReportHealth(r); });
//   reporter.ReportAll(pools);      // start-up, reload
//   reporter.ReportChanges(pools);  // the end of a pass in which a checker changed state
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/result.h"
#include "ctl/proto.h"
#include "health/pool.h"

namespace ipvsd::health {

// kHealthUp, kHealthDown or kHealthInhibited.
uint8_t HealthStateOf(const RealServerState& rs);

class HealthReporter {
 public:
  using Sender = std::function<Status(const ctl::HealthReport&)>;
  explicit HealthReporter(Sender send) : send_(std::move(send)) {}

  // Every real server of POOLS (start-up, and a reload, after which the pools may differ).
  void ReportAll(std::span<const VirtualServerPool* const> pools);
  // The real servers of POOLS (the same as last time) whose state ipvsd does not know yet;
  // nothing is sent when there are none.
  void ReportChanges(std::span<const VirtualServerPool* const> pools);

 private:
  // Not a state: what ipvsd holds for a server no report reached yet.
  static constexpr uint8_t kNotReported = 0xff;

  Sender send_;
  std::vector<std::vector<uint8_t>> accepted_;  // [pool][real server]: the state ipvsd accepted
  bool failing_ = false;                        // the last report did not get through
  bool unsupported_ = false;                    // ipvsd does not know kReportHealth
};

}  // namespace ipvsd::health
