// Daemon::Observe and the HTTP answers built on it (/metrics, the status page).
#include <chrono>

#include "ctl/codec.h"
#include "daemon/daemon.h"
#include "daemon/prometheus.h"
#include "daemon/status_page.h"
#include "dataplane/counters.h"
#include "net/headers.h"
#include "metrics/exposition.h"

namespace ipvsd::daemon {
namespace {

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* ForwardName(core::FwdMethod f) {
  switch (f) {
    case core::FwdMethod::kMasq: return "Masq";
    case core::FwdMethod::kLocal: return "Local";
    case core::FwdMethod::kTunnel: return "Tunnel";
    case core::FwdMethod::kRoute: return "Route";
  }
  return "?";
}

const char* ProtoName(const core::ServiceKey& k) {
  if (k.fwmark != 0) return "FWM";
  switch (k.protocol) {
    case net::kProtoTcp: return "TCP";
    case net::kProtoUdp: return "UDP";
    case net::kProtoSctp: return "SCTP";
  }
  return "?";
}

std::string EndpointText(const net::IpAddr& a, uint16_t port) {
  const std::string host = a.family == net::Family::kInet6 ? "[" + a.ToString() + "]" : a.ToString();
  return host + ":" + std::to_string(port);
}

// A real server's state from its weight and what ipvs-healthd last reported of it.
std::string StateOf(int weight, const HealthBoard::Entry* health) {
  if (health && health->state == ctl::kHealthInhibited) return "inhibited";
  if (health && health->state == ctl::kHealthDown) return "down";
  return weight == 0 ? "drained" : "up";
}

ServiceView ViewOf(const core::Service& s, const std::vector<HealthBoard::Entry>& health, const TrafficHistory& history) {
  const core::ServiceKey& k = s.key();
  ServiceView v;
  v.fwmark = k.fwmark;
  v.family = k.family;
  v.proto = ProtoName(k);
  if (k.fwmark == 0) {
    v.addr = net::IpAddr{k.addr, k.family};
    v.port = k.port;
    v.name = v.proto + " " + EndpointText(v.addr, v.port);
  } else {
    v.name = "FWM " + std::to_string(k.fwmark);
  }
  v.scheduler = s.config.sched_name;
  v.persistent = s.config.persistent();
  v.persistence_timeout = s.config.timeout;
  v.traffic = ctl::FromCore(*s.stats);
  v.cps_history = history.Of(k);
  auto health_of = [&](const net::IpAddr& addr, uint16_t port) -> const HealthBoard::Entry* {
    for (const HealthBoard::Entry& e : health) {
      if (e.service == k && e.addr == addr && e.port == port) return &e;
    }
    return nullptr;
  };
  for (const core::DestPtr& d : s.dests) {
    RealServerView r;
    r.addr = d->addr();
    r.port = d->port();
    r.forward = ForwardName(d->fwd());
    r.weight = d->weight();
    r.state = StateOf(r.weight, health_of(r.addr, r.port));
    r.active = static_cast<uint32_t>(d->activeconns());
    r.inactive = static_cast<uint32_t>(d->inactconns());
    r.persistent = static_cast<uint32_t>(d->persistconns());
    r.traffic = ctl::FromCore(d->stats());
    v.real_servers.push_back(std::move(r));
  }
  // Servers ipvs-healthd took out of the table are still there to see, as down.
  for (const HealthBoard::Entry& e : health) {
    if (e.service != k || e.state != ctl::kHealthDown || s.FindDest(e.addr, e.port)) continue;
    RealServerView r;
    r.addr = e.addr;
    r.port = e.port;
    r.state = "down";
    r.in_table = false;
    v.real_servers.push_back(std::move(r));
  }
  return v;
}

std::vector<NamedCount> MasterCounters(const SyncMasterCounters& c) {
  return {{"messages_sent", c.messages_sent.load()}, {"conns_sent", c.conns_sent.load()},
          {"send_errors", c.send_errors.load()},     {"too_big", c.too_big.load()},
          {"pulls_answered", c.pulls_answered.load()}, {"pulls_limited", c.pulls_limited.load()}};
}

std::vector<NamedCount> BackupCounters(const SyncBackupCounters& c) {
  std::vector<NamedCount> out;
  for (int k = 0; k < sync::kDatagramKindCount; ++k) {
    out.push_back({std::string("datagrams_") + sync::DatagramKindName(static_cast<sync::DatagramKind>(k)),
                   c.datagrams[static_cast<size_t>(k)].load()});
  }
  out.push_back({"conns_received", c.conns_received.load()});
  out.push_back({"entries_skipped", c.entries_skipped.load()});
  out.push_back({"handover_full", c.handover_full.load()});
  out.push_back({"pulls_sent", c.pulls_sent.load()});
  return out;
}

}  // namespace

Observation Daemon::Observe() {
  Observation o;
  o.version = IPVSD_VERSION;
  if (took_over_from_) {
    o.previous_version = took_over_from_->version;
    o.previous_pid = took_over_from_->pid;
  }
  o.start_time = start_time_;
  o.now = WallSeconds();
  services_.ReadCounters([&](const core::ServiceTable& table, const core::Stats& totals) {
    o.totals = ctl::FromCore(totals);
    const std::vector<HealthBoard::Entry> health =
        health_board_.Current([&](const core::ServiceKey& k) { return table.FindKey(k) != nullptr; });
    for (const core::ServicePtr& s : table.InOrder()) o.services.push_back(ViewOf(*s, health, history_));
  });
  if (data_plane_) {
    o.workers = data_plane_->ObserveWorkers();
    o.backend = data_plane_->ObserveBackend();
  }
  o.sync.master = sync_.master_running();
  o.sync.backup = sync_.backup_running();
  o.sync.master_counters = MasterCounters(sync_.master_counters());
  o.sync.backup_counters = BackupCounters(sync_.backup_counters());
  for (uint16_t type = 0; type <= ctl::kLastMsgType; ++type) {
    o.control.requests.push_back({ctl::MsgTypeName(type), server_.requests(type)});
    o.control.errors.push_back({ctl::MsgTypeName(type), server_.errors(type)});
  }
  return o;
}

metrics::HttpReply Daemon::ServeHttp(const metrics::HttpRequest& request) {
  if (request.path == "/metrics") return {200, metrics::kContentType, RenderPrometheus(Observe())};
  if (request.path == "/") {
    auto format = request.query.find("format");
    if (format != request.query.end() && format->second == "json") {
      return {200, "application/json", StatusPageJson(Observe())};
    }
    return {200, "text/html; charset=utf-8", StatusPageHtml(Observe())};
  }
  return {404, "text/plain; charset=utf-8", "not found: /metrics is the Prometheus endpoint, / the status page\n"};
}


}  // namespace ipvsd::daemon
