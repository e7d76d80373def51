// File: daemon/daemon.h
//
// Daemon is ipvsd: it owns the control-plane model (ServiceManager with the scheduler
// registry, Timeouts), the control socket and the 2-second rate estimator, and runs them on
// one control thread until SIGTERM or SIGINT.
//
// The data plane (workers and their packet I/O) is attached through the DataPlane interface:
// the daemon asks it for the connection list (ipvsadm -Lc) and for the oldest table generation
// a worker still uses (to free deleted destinations safely). Without one attached, ipvsd is a
// control plane only: the table is served and kept, no packet is forwarded, no connection
// exists.
//
//   auto options = ParseOptions(argc, argv);
//   Daemon daemon(*options);
//   if (Status st = daemon.Start(); !st) ...
//   daemon.Run();  // returns after SIGTERM/SIGINT, socket file removed
#pragma once

#include <signal.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "cli/rules.h"
#include "core/conn_sync.h"
#include "core/service_manager.h"
#include "core/settings.h"
#include "core/timeouts.h"
#include "ctl/handlers.h"
#include "ctl/server.h"
#include "daemon/health_board.h"
#include "daemon/observation.h"
#include "daemon/sync_daemon.h"
#include "daemon/systemd_notify.h"
#include "daemon/traffic_history.h"
#include "io/portable/static_route.h"
#include "metrics/http_server.h"

namespace ipvsd::daemon {

inline constexpr uint32_t kDefaultConnMax = 1u << 20;
inline constexpr uint16_t kDefaultMetricsPort = 9180;

enum class IoMode { kAuto, kAfXdp, kAfPacket, kPcap };

inline constexpr char kDefaultConnStoreDir[] = "/dev/shm/ipvsd";

struct Options {
  std::string socket_path;
  std::vector<std::string> ifaces;  // empty: every UP non-loopback interface
  IoMode io = IoMode::kAuto;
  int workers = 0;                  // 0: one per core
  uint32_t conn_max = kDefaultConnMax;
  LogLevel log_level = LogLevel::kInfo;
  std::vector<core::SysctlSetting> sysctls;  // --sysctl, in command-line order
  std::string sync_key_file;        // non-empty: authenticate sync datagrams (docs/sync.md)
  bool sync_pull = false;           // send and answer pull requests (docs/sync.md)
  bool gso = false;                 // AF_PACKET carries TCP aggregates whole (io::AfPacketOptions::gso)
  bool flow_offload = true;         // AF_XDP: the XDP program forwards established flows (io/flow_offload.h)
  // --route: the static routes of the portable router (--io pcap; io/portable/portable_router.h).
  std::vector<io::StaticRoute> routes;
  // Saved rules (the ipvsadm -S format, cli/rules.h) applied at start, before the control
  // socket opens; empty: none. A missing file is an error unless it is the default one.
  std::string rules_path = cli::kDefaultRulesPath;
  bool rules_given = false;
  // The directory of the connection stores (daemon/conn_stores.h), where the tables outlive
  // the process; empty: tables in the process's own memory, lost with it. ipvsd's command line
  // defaults to kDefaultConnStoreDir.
  std::string conn_store_dir;
  // --takeover: start by taking over from the ipvsd on socket_path (daemon/takeover.h).
  bool takeover = false;
  // The arguments ipvsd was started with, for the process SIGUSR2 starts to take over.
  std::vector<std::string> command_line;
  // /metrics and the status page (nullopt: --metrics off). The default address is tried and
  // left with a warning when it is taken; an address given with --metrics must work.
  std::optional<metrics::ListenAddress> metrics = metrics::ListenAddress{"127.0.0.1", kDefaultMetricsPort};
  bool metrics_given = false;
};

struct SyncSlice {
  std::vector<core::SyncRecord> records;
  ctl::ConnCursor next;
  bool more = false;
};

// What the daemon needs from the data plane. Called on the control thread.
class DataPlane {
 public:
  virtual ~DataPlane() = default;
  // A page of the connections and persistence templates of every worker (from.max at most).
  virtual ctl::ConnList ListConns(const ctl::ConnCursor& from) = 0;
  // The packet I/O and, per worker, what it serves and counted.
  virtual ctl::DataPlaneInfo Describe() = 0;
  // The same and more for /metrics and the status page, read from the workers' counters
  // without asking the workers anything (any thread).
  virtual std::vector<WorkerView> ObserveWorkers() = 0;
  virtual BackendView ObserveBackend() = 0;
  // The oldest ServiceTable generation any worker may still be using.
  virtual uint64_t OldestGeneration() = 0;
  // A new ServiceTable was published, or the namespace's own addresses changed (and once at
  // start): the data plane updates what its packet I/O hands to ipvsd.
  virtual void OnServicesChanged(const core::ServiceTable& table, const std::vector<net::IpAddr>& local_addrs) = 0;

  // Connection sync (daemon/sync_daemon.h), called from the sync threads. One master thread
  // pops every worker's queue; one backup thread hands each received connection to the
  // worker that owns it (false: that worker's queue is full).
  virtual size_t SyncWorkerCount() = 0;
  virtual size_t PopSyncOut(size_t worker, std::span<core::SyncRecord> out) = 0;
  virtual bool PushSyncIn(const core::SyncRecord& r) = 0;
  // A slice of the live connections and templates for a pull request: at most `max` from
  // `from` (ConnCursor{} first, then the slice's `next` while `more`), so that the sync thread
  // goes on draining the workers' queues between slices and a worker copies a few hundred
  // entries at a time, not its whole table.
  virtual SyncSlice SyncDumpSlice(const ctl::ConnCursor& from, size_t max) = 0;
};

struct TakeoverState;

class Daemon {
 public:
  explicit Daemon(Options options);

  const Options& options() const { return options_; }
  core::ServiceManager& services() { return services_; }
  core::Timeouts& timeouts() { return timeouts_; }
  // Connects a data plane built on services() and timeouts(); before Start().
  void AttachDataPlane(DataPlane* data_plane) {
    data_plane_ = data_plane;
    sync_.AttachDataPlane(data_plane);
  }
  core::Settings& settings() { return settings_; }
  const Clock& clock() const { return clock_; }

  // Takes over SIGTERM/SIGINT, applies the saved rules (all or nothing: an error names the
  // file and line, and ipvsd does not start), creates the socket's directory (0755) if needed
  // and starts listening.
  Status Start();
  // Before Start(), after a takeover: start with the old process's configuration instead of
  // the saved rules (daemon/takeover.h).
  void SetTakeover(TakeoverState state);
  // Whether Run() ended because a new process took over: main() then exits at once, leaving
  // the XDP programs attached to hold the services' packets for it.
  bool handing_over() const { return handing_over_to_.has_value(); }
  // The pid of the process taking over (handing_over()).
  uint32_t successor_pid() const { return handing_over_to_ ? handing_over_to_->pid : 0; }
  // Tells systemd that start-up is complete (READY=1, docs/operations.md): called once the
  // data plane runs and the socket listens, before Run().
  void NotifyReady();
  // Serves until SIGTERM or SIGINT, then closes the socket and removes its file. Under
  // systemd it updates STATUS= and pings the watchdog while every worker makes progress.
  Status Run();

  // The director as it is now (any thread): services, workers, sync, control counters.
  Observation Observe();

 private:
  metrics::HttpReply ServeHttp(const metrics::HttpRequest& request);
  ctl::ConnList ListConns(const ctl::ConnCursor& from);
  void OnHealthReport(const ctl::HealthReport& report);
  Status LoadRules();
  // Applies the taken-over configuration (SetTakeover) in place of the saved rules.
  Status ApplyTakeover();
  Result<ctl::Handover> AcceptHandover(const ctl::Handover& newcomer);
  // SIGUSR2: starts this program again with --takeover; and reaps it if it fails.
  void StartUpgrade();
  void ReapUpgrade();
  void EstimatorTick();
  // Tells the data plane about a table it has not seen yet.
  void SyncDataPlane();
  // The one-line summary of STATUS=, and each worker's poll counter for the watchdog.
  std::string StatusSummary();
  std::vector<uint64_t> WorkerPolls();

  Options options_;
  core::ServiceManager services_;
  core::Timeouts timeouts_;
  core::Settings settings_;
  MonotonicClock clock_;
  DataPlane* data_plane_ = nullptr;
  uint64_t data_plane_generation_ = UINT64_MAX;  // the table generation it was last told
  std::vector<net::IpAddr> data_plane_locals_;   // and the local addresses
  sigset_t wait_mask_{};  // the signal mask while waiting: the stop signals unblocked
  SyncDaemon sync_;
  HealthBoard health_board_;
  TrafficHistory history_;
  double start_time_ = 0;
  ctl::Handlers handlers_;
  ctl::UnixServer server_;
  SystemdNotifier notifier_;
  std::unique_ptr<metrics::HttpServer> metrics_server_;  // after what it reads: stopped first
  std::shared_ptr<TakeoverState> takeover_;              // until Start() applies it
  std::optional<ctl::Handover> took_over_from_;
  std::optional<ctl::Handover> handing_over_to_;
  std::string program_path_;  // /proc/self/exe at start: the path an upgrade replaced
  pid_t upgrade_pid_ = 0;     // the process SIGUSR2 started, until it exits or takes over
};

}  // namespace ipvsd::daemon
