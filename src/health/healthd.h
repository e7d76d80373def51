// File: health/healthd.h
//
// ipvs-healthd: keepalived's checker half for ipvsd. It reads the virtual_server blocks of a
// keepalived.conf (health/config.h), creates the services in ipvsd over the control socket,
// runs every checker and dynamic-feedback poll from one poll(2) loop (non-blocking sockets,
// children reaped through SIGCHLD, a deadline on everything), and keeps the table in line
// with keepalived's rules (health/pool.h). SIGHUP re-reads the file and applies only the
// difference; a file with errors is logged and the running configuration kept. SIGTERM /
// SIGINT end it; the services it created are deleted unless --dont-release-ipvs (keepalived's
// option of the same name). It tells ipvsd what it knows of each real server (ctl
// kReportHealth, health/health_report.h) and serves its own /metrics (health/healthd_metrics.h).
// docs/healthd.md is the user's page.
//
//   Result<HealthdOptions> opts = ParseHealthdCommandLine(argc, argv);
//   Result<Config> cfg = ParseConfigFile(opts->config_path);
//   Healthd daemon(*opts, clock);
//   Status st = daemon.Run(std::move(*cfg));
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "ctl/client.h"
#include "health/checker_state.h"
#include "health/config.h"
#include "health/feedback.h"
#include "health/health_report.h"
#include "health/healthd_metrics.h"
#include "health/net_probes.h"
#include "health/pool.h"
#include "health/probe.h"
#include "metrics/http_server.h"

namespace ipvsd::health {

inline constexpr uint16_t kDefaultMetricsPort = 9181;

struct HealthdOptions {
  bool help = false;
  bool check_only = false;     // --check: parse the file, report, exit
  bool release_on_exit = true;
  std::string config_path;
  std::string config_id = LocalConfigId();  // --config-id: which @ID lines of the file apply
  std::string socket_path = ctl::kDefaultSocketPath;
  LogLevel log_level = LogLevel::kInfo;
  // Where /metrics is served; none with --metrics off.
  std::optional<metrics::ListenAddress> metrics_address = metrics::ListenAddress{"127.0.0.1", kDefaultMetricsPort};
};

std::string HealthdUsage(const char* program);
// --socket defaults to $IPVSD_SOCKET, then /run/ipvsd/ipvsd.sock, as for ipvsadm.
Result<HealthdOptions> ParseHealthdCommandLine(int argc, char** argv);

// IpvsOps over the control socket. A broken connection (ipvsd restarted) is reopened once
// per request or batch.
//
// Outside a round every change is its own request, with the fallbacks IpvsOps promises:
// AddService / AddDest that exist become edits, EditDest of a missing destination becomes
// AddDest, DelService / DelDest of something not there are done. Between BeginRound() and
// EndRound() the changes are queued and go to ipvsd as one batch, so that a rack failing at
// once is one change of the table. ipvsd applies a batch whole or not at all and names the
// step that failed; that step is replaced by its fallback (once), dropped when "not there"
// means done, or logged and dropped for any other error, and the rest is sent again.
class CtlOps final : public IpvsOps {
 public:
  explicit CtlOps(std::string socket_path) : path_(std::move(socket_path)) {}
  Status Connect();

  // Until EndRound(), changes are queued and return Ok(). Rounds do not nest.
  void BeginRound();
  // Sends the round's changes (nothing when there are none). A change that failed for good is
  // logged here; an error means the batch did not get through and the round's changes are lost.
  Status EndRound();

  Status AddService(const ctl::ServiceSpec& spec) override;
  Status EditService(const ctl::ServiceSpec& spec) override;
  Status DelService(const ctl::ServiceKey& key) override;
  Status AddDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) override;
  Status EditDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) override;
  Status DelDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) override;

  // Outside a round: a report changes nothing in the table and is no part of a batch.
  Status ReportHealth(const ctl::HealthReport& report);

 private:
  // One change as the request that carries it (the payload type follows from `type`).
  struct Change {
    ctl::MsgType type;
    std::variant<ctl::ServiceSpec, ctl::ServiceKey, ctl::DestRequest> request;
    bool is_fallback = false;  // replaces a step that failed; not replaced again
  };

  // "adding 10.0.0.1:80 to 198.19.0.1:80/TCP": the log line's subject for a step that failed.
  static std::string Describe(const Change& change);
  Status Submit(Change change);
  Status Send(const Change& change);
  template <typename F>
  std::invoke_result_t<F&, ctl::Client&> Call(F&& request);

  std::string path_;
  std::optional<ctl::Client> client_;
  std::optional<std::vector<Change>> round_;  // the open round's changes
};

class Healthd {
 public:
  Healthd(HealthdOptions options, const Clock& clock);
  Healthd(const Healthd&) = delete;
  Healthd& operator=(const Healthd&) = delete;

  // Connects to ipvsd, applies CONFIG and serves until SIGTERM / SIGINT.
  Status Run(Config config);

 private:
  struct CheckRun {
    size_t rs;
    size_t chk;
    CheckerState state;
    uint64_t due_ns;
    std::unique_ptr<Probe> probe;
    size_t url = 0;                            // HTTP_GET: the url being fetched in this attempt
    uint64_t started_ns = 0;                   // this attempt (all its urls)
    std::optional<uint64_t> last_duration_ns;  // of the last attempt that finished
    MiscRunLog misc_log;                       // MISC_CHECK: "cannot run" once per streak
  };
  struct FeedRun {
    size_t rs;
    FeedbackWeight weight;
    uint64_t due_ns;
    std::unique_ptr<Probe> probe;
    bool failing = false;             // the last poll failed (logged once per failure streak)
    std::optional<double> last_load;  // aggregate load of the last report that was read
  };
  struct VsRun {
    std::unique_ptr<VirtualServerPool> pool;
    std::vector<CheckRun> checks;
    std::vector<FeedRun> feeds;
  };

  void Install(Config config);
  void Reload();
  VsRun MakeRun(std::unique_ptr<VirtualServerPool> pool, const VsRun* old);
  void StartDue(uint64_t now);
  void StartCheck(VsRun& vs, CheckRun& run, uint64_t now);
  void FinishCheck(VsRun& vs, CheckRun& run, const ProbeOutcome& outcome, uint64_t now);
  void FinishFeed(VsRun& vs, FeedRun& run, const ProbeOutcome& outcome, uint64_t now);
  void ReapChildren(uint64_t now);
  int PollTimeoutMs(uint64_t now) const;
  std::vector<const VirtualServerPool*> Pools() const;
  void PublishMetrics(uint64_t now);

  HealthdOptions options_;
  const Clock& clock_;
  CtlOps ops_;
  std::vector<VsRun> vs_;
  HealthReporter reporter_;
  bool checker_changed_ = false;  // in this pass of the loop: a checker went up or down
  const double start_time_s_;     // wall clock, for process_start_time_seconds
  // Since /metrics was last rendered: something it shows changed (a checker, a server, a weight,
  // the configuration), rendered at the end of the pass; or only durations, failure counts and
  // loads moved, rendered at most every kMetricsRefreshNs.
  bool metrics_changed_ = false;
  bool metrics_stale_ = false;
  uint64_t metrics_rendered_ns_ = 0;
  // Declared before the server, which uses it until it is destroyed.
  PublishedMetrics published_;
  std::unique_ptr<metrics::HttpServer> http_;
};

}  // namespace ipvsd::health
