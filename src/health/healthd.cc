// File: health/healthd.cc
#include "health/healthd.h"

#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/signal_source.h"
#include "health/file_check.h"

namespace ipvsd::health {
namespace {

// The loop wakes at least this often, so a clock step or a lost wake-up costs at most this.
constexpr int kMaxPollMs = 1000;
// /metrics is rendered again at most this often for durations, failure counts and loads alone
// (changes of state are rendered at once): the text is the size of the whole table.
constexpr uint64_t kMetricsRefreshNs = 500'000'000;
// An HTTP_GET reads at most this much of a page (keepalived digests whole pages; ours are
// health pages, and a larger reply is cut off and judged as it is).
constexpr size_t kMaxHttpReply = 4u << 20;

// A control request ipvsd has not answered in this time fails (and is retried once on a new
// connection): a stalled daemon must not freeze the checks.
constexpr std::chrono::milliseconds kCtlTimeout{5000};

Error SysError(const std::string& what) { return MakeError(errno, what + ": " + std::strerror(errno)); }

bool IsTransportError(int code) {
  return code == EPIPE || code == ECONNRESET || code == ENOTCONN || code == EBADF || code == ECONNREFUSED ||
         code == EPROTO || code == ETIMEDOUT;
}

std::string RsName(const VirtualServerPool& pool, size_t rs) { return pool.servers()[rs].cfg.Name(); }

// The type a change that failed with CODE is sent as instead.
std::optional<ctl::MsgType> FallbackOf(ctl::MsgType type, int code) {
  // A service or destination left by an earlier run (--dont-release-ipvs) is taken over.
  if (type == ctl::MsgType::kAddService && code == EEXIST) return ctl::MsgType::kEditService;
  if (type == ctl::MsgType::kAddDest && code == EEXIST) return ctl::MsgType::kEditDest;
  if (type == ctl::MsgType::kEditDest && code == ENOENT) return ctl::MsgType::kAddDest;
  return std::nullopt;
}

// Deleting what is not there is done.
bool IsAlreadyDone(ctl::MsgType type, int code) {
  return (type == ctl::MsgType::kDelService && code == ESRCH) || (type == ctl::MsgType::kDelDest && code == ENOENT);
}

// notify_up/notify_down/quorum_up/quorum_down: started and left to run; ReapChildren reaps it.
void RunNotifyScript(const NotifyScript& script) {
  if (SpawnShell(script.command, script.run_as) < 0) {
    Log(LogLevel::kError, "running '%s': fork: %s", script.command.c_str(), std::strerror(errno));
  }
}

// FILE_CHECK: the file is read now (it is small and local); the verdict reaches the loop as a
// finished probe. A value that is not a number keeps the checker where it is.
ProbeOutcome ReadFileCheck(const CheckerConfig& c, bool up_now) {
  const std::optional<int64_t> value = ReadTrackFileValue(c.file_path);
  if (!value) {
    Log(LogLevel::kWarning, "FILE_CHECK %s: %s does not hold a number within -2^31..2^31, ignored (as keepalived)",
        c.where.c_str(), c.file_path.c_str());
    return ProbeOutcome{up_now, c.file_path + ": not a valid number, ignored", {}, -1};
  }
  const FileVerdict v = JudgeTrackFile(*value, c.file_weight, c.file_reverse);
  ProbeOutcome out{v.up, c.file_path + " holds " + std::to_string(*value), {}, -1};
  out.weight_share = v.up ? v.weight_offset : 0;
  return out;
}

// init_file of every track_file a FILE_CHECK uses, before the checks read them.
void InitTrackFiles(const Config& config, bool reload) {
  for (const TrackFileConfig& tf : config.track_files) {
    if (Status st = InitTrackFile(tf, reload); !st) Log(LogLevel::kError, "%s", st.error().message.c_str());
  }
}

}  // namespace

std::string HealthdUsage(const char* program) {
  return std::string("Usage: ") + program +
         " --config FILE [options]\n"
         "Health checks and dynamic-feedback weights for ipvsd, from the virtual_server blocks of a\n"
         "keepalived.conf (docs/healthd.md).\n"
         "\n"
         "  --config FILE        keepalived.conf to read (required)\n"
         "  --socket PATH        ipvsd's control socket (default $IPVSD_SOCKET or " +
         ctl::kDefaultSocketPath +
         ")\n"
         "  --config-id ID       keepalived's config id (its -i): the lines '@ID ...' of FILE apply,\n"
         "                       '@^ID ...' do not (default: the host name up to the first dot)\n"
         "  --check              only parse FILE: print the notices, the services and every real\n"
         "                       server with its checkers, exit 0 (or 2 on errors)\n"
         "  --dont-release-ipvs  leave the services in ipvsd on exit\n"
         "  --metrics ADDR:PORT  serve /metrics there ([IPv6]:PORT; default 127.0.0.1:" +
         std::to_string(kDefaultMetricsPort) +
         ", or off)\n"
         "  --log-level LEVEL    debug, info, warning, error or off (default info)\n"
         "  --help               show this help\n"
         "SIGHUP: re-read FILE and apply the difference. SIGTERM/SIGINT: exit.\n"
         "Exit codes: 0 after SIGTERM/SIGINT, 1 when ipvsd cannot be reached or the metrics address\n"
         "cannot be listened on, 2 for usage or configuration errors (reported as file:line: message;\n"
         "nothing is applied).\n";
}

Result<HealthdOptions> ParseHealthdCommandLine(int argc, char** argv) {
  enum { kConfig = 256, kSocket, kCheck, kDontRelease, kMetrics, kLogLevel, kConfigId, kHelp };
  static const option kLongOptions[] = {
      {"config", required_argument, nullptr, kConfig},  {"socket", required_argument, nullptr, kSocket},
      {"check", no_argument, nullptr, kCheck},          {"dont-release-ipvs", no_argument, nullptr, kDontRelease},
      {"metrics", required_argument, nullptr, kMetrics}, {"log-level", required_argument, nullptr, kLogLevel},
      {"config-id", required_argument, nullptr, kConfigId},
      {"help", no_argument, nullptr, kHelp},            {nullptr, 0, nullptr, 0},
  };
  HealthdOptions opts;
  if (const char* env = std::getenv("IPVSD_SOCKET"); env != nullptr && *env != '\0') opts.socket_path = env;
  opterr = 0;
  optind = 1;
  for (;;) {
    const int c = getopt_long(argc, argv, ":", kLongOptions, nullptr);
    if (c == -1) break;
    switch (c) {
      case kConfig: opts.config_path = optarg; break;
      case kConfigId: opts.config_id = optarg; break;
      case kSocket: opts.socket_path = optarg; break;
      case kCheck: opts.check_only = true; break;
      case kDontRelease: opts.release_on_exit = false; break;
      case kMetrics: {
        auto address = metrics::ListenAddress::Parse(optarg);
        if (!address) return MakeError(EINVAL, "--metrics: " + address.error().message);
        opts.metrics_address = *address;
        break;
      }
      case kLogLevel:
        if (!ParseLogLevel(optarg, &opts.log_level)) return MakeError(EINVAL, std::string("unknown log level '") + optarg + "'");
        break;
      case kHelp: opts.help = true; return opts;
      case ':': return MakeError(EINVAL, std::string("option ") + argv[optind - 1] + " needs a value");
      default: return MakeError(EINVAL, std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (optind < argc) return MakeError(EINVAL, std::string("unexpected argument '") + argv[optind] + "'");
  if (opts.config_path.empty()) return MakeError(EINVAL, "--config is required");
  return opts;
}

Status CtlOps::Connect() {
  auto c = ctl::Client::Connect(path_, kCtlTimeout);
  if (!c) return c.error();
  client_.emplace(std::move(*c));
  return Ok();
}

template <typename F>
std::invoke_result_t<F&, ctl::Client&> CtlOps::Call(F&& request) {
  if (!client_) {
    if (Status st = Connect(); !st) return st.error();
  }
  auto reply = request(*client_);
  if (!reply && IsTransportError(reply.error().code)) {
    // ipvsd closes a connection idle for 30 s (ctl/server.h): reconnecting then is routine.
    const int code = reply.error().code;
    Log(code == EPIPE || code == ECONNRESET ? LogLevel::kDebug : LogLevel::kWarning,
        "control connection lost (%s); reconnecting", reply.error().message.c_str());
    client_.reset();
    if (Status c = Connect(); !c) return c.error();
    reply = request(*client_);
  }
  return reply;
}

std::string CtlOps::Describe(const Change& change) {
  if (const auto* r = std::get_if<ctl::DestRequest>(&change.request)) {
    const std::string dest = net::Endpoint{r->dest.addr, r->dest.port}.ToString();
    const std::string service = ServiceKeyName(r->service);
    if (change.type == ctl::MsgType::kAddDest) return "adding " + dest + " to " + service;
    if (change.type == ctl::MsgType::kEditDest) return "editing " + dest + " in " + service;
    return "removing " + dest + " from " + service;
  }
  if (const auto* key = std::get_if<ctl::ServiceKey>(&change.request)) {
    return "deleting service " + ServiceKeyName(*key);
  }
  const std::string service = ServiceKeyName(std::get<ctl::ServiceSpec>(change.request).key);
  return (change.type == ctl::MsgType::kAddService ? "creating service " : "editing service ") + service;
}

Status CtlOps::Send(const Change& change) {
  const std::vector<uint8_t> frame =
      std::visit([&](const auto& request) { return ctl::EncodeRequest(change.type, request); }, change.request);
  return Call([&](ctl::Client& c) -> Status {
    Result<std::vector<uint8_t>> reply = c.Exchange(change.type, frame);
    return reply ? Ok() : Status(reply.error());
  });
}

Status CtlOps::Submit(Change change) {
  if (round_) {
    // The outcome is known only when the round's batch is answered; EndRound logs a change
    // that failed, as the pool does for a single request.
    round_->push_back(std::move(change));
    return Ok();
  }
  Status st = Send(change);
  if (st || IsAlreadyDone(change.type, st.error().code)) return Ok();
  const std::optional<ctl::MsgType> fallback = FallbackOf(change.type, st.error().code);
  if (!fallback) return st;
  change.type = *fallback;
  return Send(change);
}

void CtlOps::BeginRound() { round_.emplace(); }

Status CtlOps::EndRound() {
  std::vector<Change> changes = std::move(*round_);
  round_.reset();
  // Nothing of a batch with a failed step is applied. Each pass takes that step out or
  // replaces it by its fallback (once), so a round ends after at most two passes per change.
  while (!changes.empty()) {
    ctl::BatchRequest batch;
    for (const Change& c : changes) {
      batch.steps.push_back(
          std::visit([&](const auto& request) { return ctl::MakeBatchStep(c.type, request); }, c.request));
    }
    Result<ctl::BatchReply> reply = Call([&](ctl::Client& c) { return c.Batch(batch); });
    if (!reply) return reply.error();
    if (reply->failed_step == ctl::kBatchApplied) return Ok();
    if (reply->failed_step >= changes.size()) {
      return MakeError(EPROTO, "ipvsd names step " + std::to_string(reply->failed_step) + " of a batch of " +
                                   std::to_string(changes.size()));
    }
    const auto failed = changes.begin() + reply->failed_step;
    const int code = static_cast<int>(reply->errcode);
    const std::optional<ctl::MsgType> fallback = failed->is_fallback ? std::nullopt : FallbackOf(failed->type, code);
    if (fallback) {
      failed->type = *fallback;
      failed->is_fallback = true;
      continue;
    }
    if (!IsAlreadyDone(failed->type, code)) {
      Log(LogLevel::kError, "%s: %s", Describe(*failed).c_str(), reply->detail.c_str());
    }
    changes.erase(failed);
  }
  return Ok();
}

Status CtlOps::AddService(const ctl::ServiceSpec& spec) { return Submit({ctl::MsgType::kAddService, spec}); }
Status CtlOps::EditService(const ctl::ServiceSpec& spec) { return Submit({ctl::MsgType::kEditService, spec}); }
Status CtlOps::DelService(const ctl::ServiceKey& key) { return Submit({ctl::MsgType::kDelService, key}); }
Status CtlOps::AddDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) {
  return Submit({ctl::MsgType::kAddDest, ctl::DestRequest{key, dest}});
}
Status CtlOps::EditDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) {
  return Submit({ctl::MsgType::kEditDest, ctl::DestRequest{key, dest}});
}
Status CtlOps::DelDest(const ctl::ServiceKey& key, const ctl::DestSpec& dest) {
  return Submit({ctl::MsgType::kDelDest, ctl::DestRequest{key, dest}});
}

Status CtlOps::ReportHealth(const ctl::HealthReport& report) {
  return Call([&](ctl::Client& c) { return c.ReportHealth(report); });
}

Healthd::Healthd(HealthdOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      ops_(options_.socket_path),
      reporter_([this](const ctl::HealthReport& report) { return ops_.ReportHealth(report); }),
      start_time_s_(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()) {}

Healthd::VsRun Healthd::MakeRun(std::unique_ptr<VirtualServerPool> pool, const VsRun* old) {
  VsRun run;
  const uint64_t now = clock_.NowNs();
  const auto& servers = pool->servers();
  const VirtualServerConfig& cfg = pool->config();
  for (size_t r = 0; r < servers.size(); ++r) {
    const RealServerConfig& rs = servers[r].cfg;
    for (size_t c = 0; c < rs.checkers.size(); ++c) {
      CheckRun check{r, c, CheckerState(rs.checkers[c], servers[r].checker_up[c]), now, nullptr, 0};
      if (old != nullptr) {
        // An unchanged checker keeps its retry count and its place in the schedule.
        for (const CheckRun& o : old->checks) {
          const RealServerConfig& ors = old->pool->servers()[o.rs].cfg;
          if (ors.addr == rs.addr && ors.port == rs.port && o.chk == c && o.state.config() == rs.checkers[c]) {
            check.state = o.state;
            check.due_ns = o.probe ? now : o.due_ns;
            check.last_duration_ns = o.last_duration_ns;
          }
        }
      }
      run.checks.push_back(std::move(check));
    }
    if (cfg.feedback.enabled) {
      FeedRun feed{r, FeedbackWeight(rs.weight, servers[r].weight, cfg.feedback), now, nullptr, false, std::nullopt};
      if (old != nullptr && old->pool->config().feedback == cfg.feedback) {
        for (const FeedRun& o : old->feeds) {
          const RealServerConfig& ors = old->pool->servers()[o.rs].cfg;
          if (ors.addr == rs.addr && ors.port == rs.port && ors.weight == rs.weight) {
            feed.weight = o.weight;
            feed.due_ns = o.probe ? now : o.due_ns;
            feed.last_load = o.last_load;
          }
        }
      }
      run.feeds.push_back(std::move(feed));
    }
  }
  run.pool = std::move(pool);
  return run;
}

void Healthd::Install(Config config) {
  for (const std::string& n : config.notices) Log(LogLevel::kInfo, "%s", n.c_str());
  InitTrackFiles(config, false);
  for (VirtualServerConfig& vs : config.virtual_servers) {
    auto pool = std::make_unique<VirtualServerPool>(std::move(vs), &ops_, RunNotifyScript);
    pool->Start();
    vs_.push_back(MakeRun(std::move(pool), nullptr));
  }
  Log(LogLevel::kInfo, "%zu virtual servers configured", vs_.size());
}

void Healthd::Reload() {
  auto parsed = ParseConfigFile(options_.config_path, options_.config_id);
  if (!parsed) {
    Log(LogLevel::kError, "reload rejected, keeping the running configuration: %s", parsed.error().message.c_str());
    return;
  }
  Config cfg = std::move(*parsed);
  for (const std::string& n : cfg.notices) Log(LogLevel::kInfo, "%s", n.c_str());
  InitTrackFiles(cfg, true);
  auto find_new = [&](const std::string& name) {
    return std::find_if(cfg.virtual_servers.begin(), cfg.virtual_servers.end(),
                        [&](const VirtualServerConfig& v) { return v.name == name; });
  };
  // Gone virtual servers first, so that a service moving between blocks is free again.
  std::vector<VsRun> kept;
  for (VsRun& run : vs_) {
    if (find_new(run.pool->config().name) == cfg.virtual_servers.end()) {
      Log(LogLevel::kInfo, "VS %s: no longer configured, deleting", run.pool->config().name.c_str());
      run.pool->Release();
    } else {
      kept.push_back(std::move(run));
    }
  }
  std::vector<VsRun> next;
  for (VirtualServerConfig& vs : cfg.virtual_servers) {
    // Entries already taken over are empty (moved from).
    auto old = std::find_if(kept.begin(), kept.end(),
                            [&](const VsRun& r) { return r.pool && r.pool->config().name == vs.name; });
    if (old == kept.end()) {
      auto pool = std::make_unique<VirtualServerPool>(std::move(vs), &ops_, RunNotifyScript);
      pool->Start();
      next.push_back(MakeRun(std::move(pool), nullptr));
      continue;
    }
    if (old->pool->config() == vs) {
      next.push_back(std::move(*old));
      continue;
    }
    // The old run's pool is reconfigured in place; a copy of the old view guides what the
    // checkers and feedback carry over.
    VsRun previous;
    previous.pool = std::make_unique<VirtualServerPool>(*old->pool);
    previous.checks = std::move(old->checks);
    previous.feeds = std::move(old->feeds);
    old->pool->Reconfigure(std::move(vs));
    next.push_back(MakeRun(std::move(old->pool), &previous));
  }
  vs_ = std::move(next);
  Log(LogLevel::kInfo, "reloaded: %zu virtual servers", vs_.size());
}

void Healthd::StartCheck(VsRun& vs, CheckRun& run, uint64_t now) {
  const RealServerConfig& rs = vs.pool->servers()[run.rs].cfg;
  const CheckerConfig& c = run.state.config();
  net::Endpoint to{c.connect_ip.value_or(rs.addr), c.connect_port != 0 ? c.connect_port : rs.port};
  switch (c.kind) {
    case CheckerKind::kTcp:
      run.probe = StreamProbe::Start(to, "", false, 0, now + SecondsToNs(c.connect_timeout), c.source);
      break;
    case CheckerKind::kHttp: {
      const std::string& vhost = c.urls[run.url].virtualhost.empty() ? c.virtualhost : c.urls[run.url].virtualhost;
      const std::string host = vhost.empty() ? to.ToString() : vhost;
      run.probe = StreamProbe::Start(to, HttpRequest(c.urls[run.url], host, c.http_version), true, kMaxHttpReply,
                                     now + SecondsToNs(c.connect_timeout), c.source);
      break;
    }
    case CheckerKind::kSsl: {
      const std::string& vhost = c.urls[run.url].virtualhost.empty() ? c.virtualhost : c.urls[run.url].virtualhost;
      const std::string host = vhost.empty() ? to.ToString() : vhost;
      // keepalived sends a server name only with enable_sni, and only a virtualhost.
      run.probe = TlsProbe::Start(to, c.enable_sni ? vhost : std::string(),
                                  HttpRequest(c.urls[run.url], host, c.http_version), kMaxHttpReply,
                                  now + SecondsToNs(c.connect_timeout), c.source);
      break;
    }
    case CheckerKind::kSmtp:
      run.probe = SmtpProbe::Start(to, c.helo_name, now + SecondsToNs(c.connect_timeout), c.source);
      break;
    case CheckerKind::kUdp: {
      DatagramProbe::Judge judge = [c](std::string_view reply) -> std::optional<ProbeOutcome> {
        if (!c.require_reply) return ProbeOutcome{true, "reply received", {}, -1};
        return JudgeUdpReply(reply, c);
      };
      run.probe = DatagramProbe::Start(to, c.payload, std::move(judge), !c.require_reply,
                                       now + SecondsToNs(c.connect_timeout), c.source);
      break;
    }
    case CheckerKind::kDns: {
      const uint16_t id = RandomQueryId();
      run.probe = DatagramProbe::Start(to, DnsQuery(id, c.dns_name, c.dns_type),
                                       [id](std::string_view reply) { return JudgeDnsReply(reply, id); }, false,
                                       now + SecondsToNs(c.connect_timeout), c.source);
      break;
    }
    case CheckerKind::kPing:
      run.probe = PingProbe::Start(to.addr, now + SecondsToNs(c.connect_timeout), c.source);
      break;
    case CheckerKind::kMisc:
      run.probe = CommandProbe::Start(c.misc_path, now + SecondsToNs(c.misc_timeout), c.misc_dynamic, c.misc_user);
      break;
    case CheckerKind::kFile:
      run.probe = FinishedProbe(ReadFileCheck(c, run.state.up()), now);
      break;
  }
}

void Healthd::StartDue(uint64_t now) {
  for (VsRun& vs : vs_) {
    for (CheckRun& run : vs.checks) {
      if (!run.probe && run.due_ns <= now) {
        run.url = 0;
        run.started_ns = now;
        StartCheck(vs, run, now);
      }
    }
    for (FeedRun& feed : vs.feeds) {
      if (feed.probe || feed.due_ns > now) continue;
      const RealServerConfig& rs = vs.pool->servers()[feed.rs].cfg;
      const FeedbackConfig& f = vs.pool->config().feedback;
      feed.probe = StreamProbe::Start(net::Endpoint{rs.addr, f.agent_port}, "", true, kMaxAgentReply + 1,
                                      now + SecondsToNs(f.timeout));
    }
  }
}

void Healthd::FinishCheck(VsRun& vs, CheckRun& run, const ProbeOutcome& outcome, uint64_t now) {
  run.probe.reset();
  const CheckerConfig& c = run.state.config();
  bool ok = outcome.ok;
  std::string detail = outcome.detail;
  if (ok && (c.kind == CheckerKind::kHttp || c.kind == CheckerKind::kSsl)) {
    const ProbeOutcome judged = EvaluateHttp(outcome.reply, c.urls[run.url]);
    ok = judged.ok;
    detail = c.urls[run.url].path + ": " + judged.detail;
    if (ok && run.url + 1 < c.urls.size()) {
      ++run.url;
      StartCheck(vs, run, now);
      return;
    }
  }
  run.last_duration_ns = now - run.started_ns;
  metrics_stale_ = true;
  if (outcome.weight) {
    metrics_changed_ |= *outcome.weight != vs.pool->servers()[run.rs].weight;
    vs.pool->SetWeight(run.rs, *outcome.weight);
  }
  if (outcome.weight_share) {
    metrics_changed_ |= *outcome.weight_share != vs.pool->servers()[run.rs].checker_weight[run.chk];
    vs.pool->SetCheckerWeight(run.rs, run.chk, *outcome.weight_share);
  }
  const bool was_up = run.state.up();
  const CheckerState::Step step = run.state.OnResult(ok, now);
  run.due_ns = step.next_due_ns;
  if (step.transition != CheckTransition::kNone) {
    checker_changed_ = true;
    metrics_changed_ = true;
  }
  const std::string name = RsName(*vs.pool, run.rs);
  // A script that cannot run says so once, whether its checker was up or (alpha) never was.
  if (c.kind == CheckerKind::kMisc && run.misc_log.ShouldLog(outcome)) {
    Log(LogLevel::kWarning, "MISC_CHECK %s of %s cannot run: %s", c.where.c_str(), name.c_str(), detail.c_str());
  } else if (!ok && was_up && !outcome.not_run) {
    Log(LogLevel::kInfo, "%s %s of %s failed: %s (%d of %d retries done)", CheckerKindName(c.kind), c.where.c_str(),
        name.c_str(), detail.c_str(), step.transition == CheckTransition::kWentDown ? c.retry : run.state.retries_done(),
        c.retry);
  }
  if (step.transition == CheckTransition::kWentUp) {
    Log(LogLevel::kInfo, "%s of %s succeeded: %s", CheckerKindName(c.kind), name.c_str(), detail.c_str());
    vs.pool->OnCheckerChange(run.rs, run.chk, true);
  } else if (step.transition == CheckTransition::kWentDown) {
    vs.pool->OnCheckerChange(run.rs, run.chk, false);
  }
}

void Healthd::FinishFeed(VsRun& vs, FeedRun& run, const ProbeOutcome& outcome, uint64_t now) {
  run.probe.reset();
  const FeedbackConfig& f = vs.pool->config().feedback;
  run.due_ns = now + SecondsToNs(f.interval);
  const std::string name = RsName(*vs.pool, run.rs);
  Result<LoadReport> report = outcome.ok ? ParseLoadReport(outcome.reply)
                                         : Result<LoadReport>(MakeError(EIO, outcome.detail));
  if (!report) {
    // The weight stays where it is: a silent or confused agent is not evidence of load.
    if (!run.failing) Log(LogLevel::kWarning, "agent of %s: %s", name.c_str(), report.error().message.c_str());
    run.failing = true;
    return;
  }
  if (run.failing) Log(LogLevel::kInfo, "agent of %s answers again", name.c_str());
  run.failing = false;
  const double load = AggregateLoad(*report, f);
  run.last_load = load;
  metrics_stale_ = true;
  const std::optional<int> w = run.weight.OnLoad(load);
  Log(LogLevel::kDebug, "agent of %s: cpu %.3f runq %.2f/%.2f mem %.3f conns %.0f -> load %.3f (smoothed %.3f) weight %.2f",
      name.c_str(), report->cpu, report->runq, report->ncpu, report->memory, report->conns, load,
      run.weight.smoothed_load(), run.weight.weight());
  if (w) {
    vs.pool->SetWeight(run.rs, *w);
    metrics_changed_ = true;
  }
  std::vector<const FeedbackWeight*> all;
  for (const FeedRun& r : vs.feeds) all.push_back(&r.weight);
  if (AllBelowConfigured(all)) {
    Log(LogLevel::kInfo, "VS %s: every weight below its configured value, resetting them", vs.pool->config().name.c_str());
    for (FeedRun& r : vs.feeds) {
      if (const std::optional<int> reset = r.weight.Reset()) vs.pool->SetWeight(r.rs, *reset);
    }
    metrics_changed_ = true;
  }
}

void Healthd::ReapChildren(uint64_t now) {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (VsRun& vs : vs_) {
      for (CheckRun& run : vs.checks) {
        if (!run.probe) continue;
        if (std::optional<ProbeOutcome> out = run.probe->OnChildExit(pid, status)) FinishCheck(vs, run, *out, now);
      }
    }
  }
}

int Healthd::PollTimeoutMs(uint64_t now) const {
  uint64_t next = now + static_cast<uint64_t>(kMaxPollMs) * 1'000'000;
  for (const VsRun& vs : vs_) {
    for (const CheckRun& run : vs.checks) next = std::min(next, run.probe ? run.probe->deadline_ns() : run.due_ns);
    for (const FeedRun& run : vs.feeds) next = std::min(next, run.probe ? run.probe->deadline_ns() : run.due_ns);
  }
  if (http_ && metrics_stale_) next = std::min(next, metrics_rendered_ns_ + kMetricsRefreshNs);
  return next <= now ? 0 : static_cast<int>((next - now + 999'999) / 1'000'000);
}

std::vector<const VirtualServerPool*> Healthd::Pools() const {
  std::vector<const VirtualServerPool*> pools;
  for (const VsRun& vs : vs_) pools.push_back(vs.pool.get());
  return pools;
}

void Healthd::PublishMetrics(uint64_t now) {
  std::vector<VirtualServerStats> stats;
  for (const VsRun& vs : vs_) {
    VirtualServerStats& s = stats.emplace_back();
    s.pool = vs.pool.get();
    for (const RealServerState& rs : vs.pool->servers()) s.checks.emplace_back(rs.cfg.checkers.size());
    for (const CheckRun& run : vs.checks) {
      CheckStats& c = s.checks[run.rs][run.chk];
      if (run.last_duration_ns) c.last_duration_s = static_cast<double>(*run.last_duration_ns) / 1e9;
      c.consecutive_failures = run.state.consecutive_failures();
    }
    if (!vs.feeds.empty()) s.feedback_load.resize(vs.pool->servers().size());
    for (const FeedRun& run : vs.feeds) s.feedback_load[run.rs] = run.last_load;
  }
  published_.Publish(RenderHealthdMetrics(stats, start_time_s_));
  metrics_rendered_ns_ = now;
  metrics_changed_ = false;
  metrics_stale_ = false;
}

Status Healthd::Run(Config config) {
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&signals, s);
  if (sigprocmask(SIG_BLOCK, &signals, nullptr) < 0) return SysError("sigprocmask");
  auto sig_source = SignalSource::Open(signals);
  if (!sig_source) return sig_source.error();
  // Started after the signals are blocked, so that its threads inherit the mask and every
  // signal reaches the loop's signal source; and before anything is created in ipvsd, so that an
  // address in use changes nothing there.
  if (options_.metrics_address) {
    auto server = metrics::HttpServer::Start(*options_.metrics_address,
                                             [this](const metrics::HttpRequest& r) { return published_.Serve(r); });
    if (!server) {
      return MakeError(server.error().code, "metrics: " + server.error().message);
    }
    http_ = std::move(*server);
  }
  if (Status st = ops_.Connect(); !st) {
    return MakeError(st.error().code, "cannot reach ipvsd at " + options_.socket_path + ": " + st.error().message);
  }
  // Start-up, what one iteration of the loop learns, and a reload each reach ipvsd as one
  // batch: a rack failing at once is one change of the table, not one request per server.
  auto end_round = [this] {
    if (Status st = ops_.EndRound(); !st) {
      Log(LogLevel::kError, "changes not sent to ipvsd: %s", st.error().message.c_str());
    }
  };
  ops_.BeginRound();
  Install(std::move(config));
  end_round();
  reporter_.ReportAll(Pools());
  if (http_) PublishMetrics(clock_.NowNs());

  bool running = true;
  Status result = Ok();
  struct Slot {
    size_t vs;
    bool feed;
    size_t index;
  };
  std::vector<pollfd> fds;
  std::vector<Slot> slots;
  while (running) {
    uint64_t now = clock_.NowNs();
    StartDue(now);
    fds.assign(1, pollfd{sig_source->fd(), POLLIN, 0});
    slots.clear();
    for (size_t v = 0; v < vs_.size(); ++v) {
      for (size_t i = 0; i < vs_[v].checks.size(); ++i) {
        const Probe* p = vs_[v].checks[i].probe.get();
        if (p != nullptr && p->fd() >= 0) {
          fds.push_back({p->fd(), p->events(), 0});
          slots.push_back({v, false, i});
        }
      }
      for (size_t i = 0; i < vs_[v].feeds.size(); ++i) {
        const Probe* p = vs_[v].feeds[i].probe.get();
        if (p != nullptr) {
          fds.push_back({p->fd(), p->events(), 0});
          slots.push_back({v, true, i});
        }
      }
    }
    if (poll(fds.data(), fds.size(), PollTimeoutMs(now)) < 0 && errno != EINTR) {
      result = SysError("poll");
      break;
    }
    now = clock_.NowNs();
    ops_.BeginRound();
    bool reload = false;
    // Every turn, not only when its descriptor is readable (base/signal_source.h).
    while (const int sig = sig_source->Next()) {
      if (sig == SIGHUP) {
        reload = true;
      } else if (sig == SIGCHLD) {
        ReapChildren(now);
      } else {
        Log(LogLevel::kInfo, "signal %d: exiting", sig);
        running = false;
      }
    }
    for (size_t k = 1; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      VsRun& vs = vs_[slots[k - 1].vs];
      if (slots[k - 1].feed) {
        FeedRun& run = vs.feeds[slots[k - 1].index];
        if (!run.probe) continue;
        if (std::optional<ProbeOutcome> out = run.probe->OnReady(fds[k].revents)) FinishFeed(vs, run, *out, now);
      } else {
        CheckRun& run = vs.checks[slots[k - 1].index];
        if (!run.probe) continue;
        if (std::optional<ProbeOutcome> out = run.probe->OnReady(fds[k].revents)) FinishCheck(vs, run, *out, now);
      }
    }
    for (VsRun& vs : vs_) {
      for (CheckRun& run : vs.checks) {
        if (run.probe && run.probe->deadline_ns() <= now) FinishCheck(vs, run, run.probe->OnTimeout(), now);
      }
      for (FeedRun& run : vs.feeds) {
        if (run.probe && run.probe->deadline_ns() <= now) FinishFeed(vs, run, run.probe->OnTimeout(), now);
      }
    }
    end_round();
    // One health report per pass: after a reload every server again, else those that changed.
    if (reload) {
      Log(LogLevel::kInfo, "SIGHUP: reloading %s", options_.config_path.c_str());
      ops_.BeginRound();
      Reload();
      end_round();
      reporter_.ReportAll(Pools());
      metrics_changed_ = true;
    } else if (checker_changed_) {
      reporter_.ReportChanges(Pools());
    }
    checker_changed_ = false;
    if (http_ && (metrics_changed_ || (metrics_stale_ && now >= metrics_rendered_ns_ + kMetricsRefreshNs))) {
      PublishMetrics(now);
    }
  }
  for (VsRun& vs : vs_) {
    vs.checks.clear();  // kills MISC_CHECK children still running
    vs.pool->Stop();
    if (options_.release_on_exit) vs.pool->Release();
  }
  return result;
}

}  // namespace ipvsd::health
