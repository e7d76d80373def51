// File: ctl/handlers.h
//
// Handlers turn decoded control requests into calls on the engine's control-plane objects
// (ServiceManager, Timeouts) and encode the replies. They are the one place where the
// protocol's value types (proto.h) meet core's types.
//
// Every change is all-or-nothing: a request is decoded and range-checked completely before
// anything is called, and ServiceManager itself validates before it publishes a new table,
// so a request that fails changes nothing. A batch (kBatch) is decoded step by step the same
// way and applied by one ServiceManager::Apply(); its timeouts are set once the table
// changes have been published, so they too apply only when every step passed. Errors travel as the errno values the kernel
// gives ipvsadm (ESRCH, EEXIST, ENOENT, ERANGE, EINVAL, ...).
//
// The sync daemon requests (--start-daemon/--stop-daemon/-L --daemon) fill in the kernel's
// defaults, start and stop the sync threads through SyncControl, and report what runs.
//
//   Handlers h(manager, timeouts, 1 << 20, [&](const ConnCursor& c) { return dataplane.ListConns(c); });
//   UnixServer server(options, [&](uint16_t t, auto p) { return h.Handle(t, p); });
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "core/service_manager.h"
#include "core/timeouts.h"
#include "ctl/proto.h"

namespace ipvsd::ctl {

// Starts and stops the sync protocol's master and backup (daemon/sync_daemon.h).
class SyncControl {
 public:
  virtual ~SyncControl() = default;
  // `config` has its defaults filled in. Errors as the kernel's (ENODEV: no such interface).
  virtual Status Start(const DaemonConfig& config) = 0;
  virtual Status Stop(uint32_t state) = 0;
};

// Lists the live connections and templates (the data plane's workers): one page from the cursor (its max already within kConnPageMax).
using ConnLister = std::function<ConnList(const ConnCursor&)>;
// Describes the data plane: its packet I/O and what each worker serves and counted.
using DataPlaneDescriber = std::function<DataPlaneInfo()>;
// Takes what ipvs-healthd reports of its real servers (kReportHealth).
using HealthSink = std::function<void(const HealthReport&)>;
// Agrees to hand over to the process of the request (kHandover), naming this one.
using HandoverSink = std::function<Result<Handover>(const Handover&)>;

class Handlers {
 public:
  // `sync` may be null: the daemon requests then only keep the configuration (tests).
  // Without `data_plane`, kGetDataPlane describes a control plane only.
  // Without `handover`, kHandover is refused.
  Handlers(core::ServiceManager& services, core::Timeouts& timeouts, uint32_t conn_tab_size, ConnLister conns,
           SyncControl* sync = nullptr, DataPlaneDescriber data_plane = {}, HealthSink health = {},
           HandoverSink handover = {});

  // A reply frame for a request of a known type (see IsKnownRequest) and its payload.
  std::vector<uint8_t> Handle(uint16_t type, std::span<const uint8_t> payload);
  // Applies every step of a batch or none (kBatch; also the daemon's saved rules at start).
  Result<BatchReply> Batch(const BatchRequest& req);
  // Starts a sync daemon (kStartDaemon; also a takeover's, with the old process's daemons).
  Result<Empty> StartDaemon(const DaemonConfig& config);

 private:
  Result<InfoReply> GetInfo(const Empty&);
  Result<Empty> AddService(const ServiceSpec& spec);
  Result<Empty> EditService(const ServiceSpec& spec);
  Result<Empty> DelService(const ServiceKey& key);
  Result<Empty> Flush(const Empty&);
  Result<Empty> AddDest(const DestRequest& req);
  Result<Empty> EditDest(const DestRequest& req);
  Result<Empty> DelDest(const DestRequest& req);
  Result<Empty> Zero(const ZeroRequest& req);
  Result<ServiceList> GetServices(const Empty&);
  Result<ServiceEntry> GetService(const ServiceKey& key);
  Result<TimeoutsMsg> GetTimeouts(const Empty&);
  Result<Empty> SetTimeouts(const TimeoutsMsg& t);
  Result<Empty> StopDaemon(const DaemonStop& stop);
  Result<DaemonList> GetDaemons(const Empty&);
  Result<ConnList> GetConns(const ConnCursor& cursor);
  Result<DataPlaneInfo> GetDataPlane(const Empty&);
  Result<Empty> ReportHealth(const HealthReport& report);

  core::ServiceManager& services_;
  core::Timeouts& timeouts_;
  uint32_t conn_tab_size_;
  ConnLister conns_;
  SyncControl* sync_;
  DataPlaneDescriber data_plane_;
  HealthSink health_;
  HandoverSink handover_;
  std::optional<DaemonConfig> master_;
  std::optional<DaemonConfig> backup_;
};

// Conversions between the wire types and core's, exposed for tests.
core::ServiceKey ToCore(const ServiceKey& key);
core::ServiceConfig ToCore(const ServiceSpec& spec);
core::DestConfig ToCore(const DestSpec& spec);
ServiceSpec FromCore(const core::ServiceConfig& config);
DestSpec FromCore(const core::DestConfig& config);
// Counters since the last -Z and the estimator's rates (control thread, or under
// ServiceManager::ReadCounters).
StatsBlock FromCore(const core::Stats& stats);

}  // namespace ipvsd::ctl
