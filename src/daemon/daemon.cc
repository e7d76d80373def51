#include "daemon/daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "cli/rules.h"
#include "core/estimator.h"
#include "daemon/interfaces.h"
#include "daemon/takeover.h"
#include "sched/registry.h"

namespace ipvsd::daemon {
namespace {

// The signal handlers can only touch lock-free flags; they are the daemon's only globals.
volatile sig_atomic_t g_stop_signal = 0;
volatile sig_atomic_t g_upgrade_signal = 0;

void OnStopSignal(int sig) { g_stop_signal = sig; }
void OnUpgradeSignal(int) { g_upgrade_signal = 1; }

// mkdir -p with mode 0755 for the directories that do not exist yet.
Status MakeParentDirs(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return Ok();
  std::string dir = path.substr(0, slash);
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return MakeError(errno, "mkdir " + prefix + ": " + std::strerror(errno));
    }
  }
  return Ok();
}

}  // namespace

Daemon::Daemon(Options options)
    : options_(std::move(options)),
      services_(sched::MakeScheduler),
      sync_(settings_),
      start_time_(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()),
      handlers_(services_, timeouts_, options_.conn_max, [this](const ctl::ConnCursor& c) { return ListConns(c); }, &sync_,
                [this] { return data_plane_ ? data_plane_->Describe() : ctl::DataPlaneInfo{}; },
                [this](const ctl::HealthReport& r) { OnHealthReport(r); },
                [this](const ctl::Handover& h) { return AcceptHandover(h); }),
      server_(ctl::ServerOptions{options_.socket_path},
              [this](uint16_t type, std::span<const uint8_t> payload) { return handlers_.Handle(type, payload); }) {
  for (const core::SysctlSetting& s : options_.sysctls) core::ApplySysctl(settings_, s);
  // Now, while it names the binary that runs: once a package upgrade replaces it, the link
  // reads "... (deleted)" and the path names the new one.
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n > 0) program_path_.assign(path, static_cast<size_t>(n));
}

void Daemon::OnHealthReport(const ctl::HealthReport& report) {
  std::vector<HealthBoard::Entry> entries;
  for (const ctl::HealthEntry& e : report.entries) {
    // The table's own form of the keys (IPv4 addresses with their unused bytes cleared).
    ctl::DestSpec server;
    server.addr = e.addr;
    server.port = e.port;
    const core::DestConfig d = ctl::ToCore(server);
    entries.push_back(HealthBoard::Entry{ctl::ToCore(e.service), d.addr, d.port, e.state});
  }
  health_board_.Report(entries);
}

ctl::ConnList Daemon::ListConns(const ctl::ConnCursor& from) {
  if (!data_plane_) return {};
  return data_plane_->ListConns(from);
}

Status Daemon::LoadRules() {
  if (options_.rules_path.empty()) return Ok();
  auto rules = cli::ReadRulesFile(options_.rules_path);
  if (!rules) {
    if (rules.error().code == ENOENT && !options_.rules_given) {
      Log(LogLevel::kInfo, "rules: none saved at %s", options_.rules_path.c_str());
      return Ok();
    }
    return MakeError(rules.error().code, "rules: " + rules.error().message);
  }
  auto reply = handlers_.Batch(rules->batch);
  if (!reply) return MakeError(reply.error().code, "rules: " + options_.rules_path + ": " + reply.error().message);
  if (reply->failed_step != ctl::kBatchApplied) {
    return MakeError(static_cast<int>(reply->errcode),
                     "rules: " + cli::RulesStepError(options_.rules_path, *rules, reply->failed_step,
                                                     static_cast<int>(reply->errcode)) +
                         "; nothing was applied");
  }
  Log(LogLevel::kInfo, "rules: %zu changes from %s", rules->batch.steps.size(), options_.rules_path.c_str());
  return Ok();
}

void Daemon::SetTakeover(TakeoverState state) { takeover_ = std::make_shared<TakeoverState>(std::move(state)); }

Status Daemon::ApplyTakeover() {
  const TakeoverState& t = *takeover_;
  auto reply = handlers_.Batch(RebuildBatch(t.services, t.timeouts));
  if (!reply) return MakeError(reply.error().code, "takeover: " + reply.error().message);
  if (reply->failed_step != ctl::kBatchApplied) {
    return MakeError(static_cast<int>(reply->errcode), "takeover: the running configuration, step " +
                                                           std::to_string(reply->failed_step) + ": " + reply->detail);
  }
  // The counters since the last zeroing, as ipvsadm --stats showed them there.
  auto values = [](const ctl::StatsBlock& b) { return core::StatsValues{b.conns, b.inpkts, b.outpkts, b.inbytes, b.outbytes}; };
  const std::shared_ptr<const core::ServiceTable> table = services_.table();
  for (const ctl::ServiceEntry& s : t.services.services) {
    const core::Service* svc = table->FindKey(ctl::ToCore(s.spec.key));
    if (!svc) continue;
    svc->stats->Carry(values(s.stats));
    for (const ctl::DestEntry& d : s.dests) {
      const core::DestConfig dest = ctl::ToCore(d.spec);
      if (core::Dest* found = svc->FindDest(dest.addr, dest.port)) found->stats().Carry(values(d.stats));
    }
  }
  for (const ctl::DaemonConfig& d : t.daemons.daemons) {
    if (auto st = handlers_.StartDaemon(d); !st) return MakeError(st.error().code, "takeover: sync daemon: " + st.error().message);
  }
  took_over_from_ = t.old;
  Log(LogLevel::kInfo, "takeover: ipvsd %s (pid %u) handed over %zu services and %zu sync daemon(s) to ipvsd %s (pid %d)",
      t.old.version.c_str(), t.old.pid, t.services.services.size(), t.daemons.daemons.size(), IPVSD_VERSION,
      static_cast<int>(::getpid()));
  return Ok();
}

void Daemon::StartUpgrade() {
  if (upgrade_pid_ != 0) {
    Log(LogLevel::kWarning, "upgrade: SIGUSR2 while pid %d is already taking over; ignored", static_cast<int>(upgrade_pid_));
    return;
  }
  auto pid = SpawnTakeover(program_path_, options_.command_line);
  if (!pid) {
    Log(LogLevel::kError, "upgrade: %s; still serving", pid.error().message.c_str());
    return;
  }
  upgrade_pid_ = *pid;
  Log(LogLevel::kInfo, "upgrade: SIGUSR2: started %s --takeover (pid %d)", program_path_.c_str(), static_cast<int>(*pid));
}

void Daemon::ReapUpgrade() {
  if (upgrade_pid_ == 0) return;
  int status = 0;
  if (::waitpid(upgrade_pid_, &status, WNOHANG) != upgrade_pid_) return;
  Log(LogLevel::kError, "upgrade: the new ipvsd (pid %d) %s %d before taking over; still serving",
      static_cast<int>(upgrade_pid_), WIFEXITED(status) ? "exited with status" : "was killed by signal",
      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  upgrade_pid_ = 0;
}

Result<ctl::Handover> Daemon::AcceptHandover(const ctl::Handover& newcomer) {
  if (handing_over_to_) {
    return MakeError(EBUSY, "already handing over to pid " + std::to_string(handing_over_to_->pid));
  }
  handing_over_to_ = newcomer;
  Log(LogLevel::kInfo, "takeover: ipvsd %s (pid %u) takes over from this ipvsd %s; stopping", newcomer.version.c_str(),
      newcomer.pid, IPVSD_VERSION);
  return ctl::Handover{static_cast<uint32_t>(::getpid()), IPVSD_VERSION};
}

void Daemon::EstimatorTick() {
  services_.EstimatorTick();
  history_.Record(*services_.table());
  // Without a data plane no worker can hold a deleted destination, so the current generation
  // is the oldest in use.
  services_.PurgeTrash(data_plane_ ? data_plane_->OldestGeneration() : services_.generation());
}

void Daemon::SyncDataPlane() {
  if (!data_plane_) return;
  auto table = services_.table();
  std::vector<net::IpAddr> locals = LocalAddresses();
  if (table->generation() == data_plane_generation_ && locals == data_plane_locals_) return;
  data_plane_generation_ = table->generation();
  data_plane_locals_ = std::move(locals);
  data_plane_->OnServicesChanged(*table, data_plane_locals_);
}

Status Daemon::Start() {
  // Signals first, so that a SIGTERM during start-up still ends in a clean exit. The stop
  // signals stay blocked except inside ppoll(), so one that arrives between two polls is
  // delivered by the next one instead of being missed.
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = OnUpgradeSignal;
  ::sigaction(SIGUSR2, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGUSR2);
  ::sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask_);
  sigdelset(&wait_mask_, SIGTERM);
  sigdelset(&wait_mask_, SIGINT);
  sigdelset(&wait_mask_, SIGUSR2);
  std::optional<sync::SyncKey> sync_key;
  if (!options_.sync_key_file.empty()) {
    auto key = sync::SyncKey::FromFile(options_.sync_key_file);
    if (!key) return key.error();
    sync_key = std::move(*key);
  }
  sync_.Configure(std::move(sync_key), options_.sync_pull);
  if (Status st = takeover_ ? ApplyTakeover() : LoadRules(); !st) return st;
  if (Status st = MakeParentDirs(options_.socket_path); !st) return st;
  if (Status st = server_.Listen(); !st) return st;
  if (options_.metrics) {
    auto http = metrics::HttpServer::Start(*options_.metrics,
                                           [this](const metrics::HttpRequest& r) { return ServeHttp(r); });
    if (http) {
      metrics_server_ = std::move(*http);
      Log(LogLevel::kInfo, "metrics and status page on http://%s/", options_.metrics->ToString().c_str());
    } else if (options_.metrics_given) {
      return MakeError(http.error().code, "--metrics: " + http.error().message);
    } else {
      Log(LogLevel::kWarning, "metrics: %s; not serving /metrics (--metrics ADDR:PORT to choose, off to silence)",
          http.error().message.c_str());
    }
  }
  SyncDataPlane();
  for (const core::SysctlSetting& s : options_.sysctls) Log(LogLevel::kInfo, "sysctl %s", s.Text().c_str());
  Log(LogLevel::kInfo, "control socket %s, connection table size %u%s", options_.socket_path.c_str(),
      options_.conn_max, data_plane_ ? "" : ", control plane only (no data plane attached)");
  return Ok();
}

std::string Daemon::StatusSummary() {
  std::vector<WorkerView> workers = data_plane_ ? data_plane_->ObserveWorkers() : std::vector<WorkerView>{};
  uint64_t connections = 0;
  for (const WorkerView& w : workers) connections += w.connections;
  return StatusLine(services_.table()->size(), connections, workers.size());
}

std::vector<uint64_t> Daemon::WorkerPolls() {
  std::vector<uint64_t> polls;
  if (data_plane_) {
    for (const WorkerView& w : data_plane_->ObserveWorkers()) polls.push_back(w.polls);
  }
  return polls;
}

void Daemon::NotifyReady() {
  if (!notifier_.enabled()) return;
  notifier_.Ready(StatusSummary());
  notifier_.Heartbeat(WorkerPolls());
}

Status Daemon::Run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::seconds(core::RateEstimator::kIntervalSeconds);
  auto next_tick = Clock::now() + interval;
  const auto heartbeat_interval = notifier_.heartbeat_interval();
  auto next_heartbeat = Clock::now() + heartbeat_interval;
  Status result = Ok();
  while (g_stop_signal == 0 && !handing_over_to_) {
    auto deadline = notifier_.watchdog_enabled() ? std::min(next_tick, next_heartbeat) : next_tick;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (Status st = server_.PollOnce(static_cast<int>(std::max<int64_t>(wait, 0)), &wait_mask_); !st) {
      result = st;
      break;
    }
    SyncDataPlane();
    if (g_upgrade_signal != 0) {
      g_upgrade_signal = 0;
      StartUpgrade();
    }
    ReapUpgrade();
    if (Clock::now() >= next_tick) {
      EstimatorTick();
      if (notifier_.enabled()) notifier_.Status(StatusSummary());
      next_tick += interval;
    }
    if (notifier_.watchdog_enabled() && Clock::now() >= next_heartbeat) {
      notifier_.Heartbeat(WorkerPolls());
      next_heartbeat = Clock::now() + heartbeat_interval;
    }
  }
  if (handing_over_to_) {
    // The new process becomes the service's main one; systemd must not take this exit for
    // the service's end.
    notifier_.MainPid(handing_over_to_->pid);
  } else {
    notifier_.Stopping();
  }
  if (g_stop_signal != 0) Log(LogLevel::kInfo, "signal %d: shutting down", static_cast<int>(g_stop_signal));
  // The metrics server reads the data plane, which main() stops once Run() returns.
  metrics_server_.reset();
  sync_.StopAll();
  server_.Close();
  ::sigprocmask(SIG_SETMASK, &wait_mask_, nullptr);
  return result;
}

}  // namespace ipvsd::daemon
