#include "daemon/prometheus.h"

#include <cstdio>

#include "metrics/exposition.h"

namespace ipvsd::daemon {
namespace {

using metrics::Exposition;
using metrics::Labels;
using metrics::Type;

// The firewall mark as /proc/net/ip_vs prints it (and node_exporter copies): "%08X".
std::string MarkText(uint32_t fwmark) {
  if (fwmark == 0) return "";
  char mark[16];
  std::snprintf(mark, sizeof(mark), "%08X", fwmark);
  return mark;
}

// node_exporter's labels of a service: local_address "" for fwmark services (no address).
Labels ServiceLabels(const ServiceView& s) {
  Labels l;
  l.Add("local_address", s.fwmark != 0 ? std::string() : s.addr.ToString()).Add("local_port", uint64_t{s.port});
  return l.Add("proto", s.proto).Add("local_mark", MarkText(s.fwmark));
}

// ... and of a real server, in the collector's order.
Labels BackendLabels(const ServiceView& s, const RealServerView& r) {
  Labels l;
  l.Add("local_address", s.fwmark != 0 ? std::string() : s.addr.ToString()).Add("local_port", uint64_t{s.port});
  l.Add("remote_address", r.addr.ToString()).Add("remote_port", uint64_t{r.port});
  return l.Add("proto", s.proto).Add("local_mark", MarkText(s.fwmark));
}

// One counter or rate of TrafficCounters, with its family name stem and help.
struct TrafficField {
  const char* stem;
  const char* help;
  uint64_t TrafficCounters::*member;
  bool rate;
};
constexpr TrafficField kTrafficFields[] = {
    {"connections", "connections scheduled", &TrafficCounters::conns, false},
    {"incoming_packets", "packets from clients", &TrafficCounters::inpkts, false},
    {"outgoing_packets", "packets to clients", &TrafficCounters::outpkts, false},
    {"incoming_bytes", "bytes from clients", &TrafficCounters::inbytes, false},
    {"outgoing_bytes", "bytes to clients", &TrafficCounters::outbytes, false},
    {"connections", "new connections per second (2-second estimator)", &TrafficCounters::cps, true},
    {"incoming_packets", "packets per second from clients (2-second estimator)", &TrafficCounters::inpps, true},
    {"outgoing_packets", "packets per second to clients (2-second estimator)", &TrafficCounters::outpps, true},
    {"incoming_bytes", "bytes per second from clients (2-second estimator)", &TrafficCounters::inbps, true},
    {"outgoing_bytes", "bytes per second to clients (2-second estimator)", &TrafficCounters::outbps, true},
};

void NodeExporterFamilies(const Observation& o, Exposition& out) {
  out.Family("node_ipvs_connections_total", Type::kCounter, "The total number of connections made.");
  out.Sample(o.totals.conns);
  out.Family("node_ipvs_incoming_packets_total", Type::kCounter, "The total number of incoming packets.");
  out.Sample(o.totals.inpkts);
  out.Family("node_ipvs_outgoing_packets_total", Type::kCounter, "The total number of outgoing packets.");
  out.Sample(o.totals.outpkts);
  out.Family("node_ipvs_incoming_bytes_total", Type::kCounter, "The total amount of incoming data.");
  out.Sample(o.totals.inbytes);
  out.Family("node_ipvs_outgoing_bytes_total", Type::kCounter, "The total amount of outgoing data.");
  out.Sample(o.totals.outbytes);

  std::vector<Labels> backends;
  std::vector<const RealServerView*> servers;
  for (const ServiceView& s : o.services) {
    for (const RealServerView& r : s.real_servers) {
      if (!r.in_table) continue;
      backends.push_back(BackendLabels(s, r));
      servers.push_back(&r);
    }
  }
  out.Family("node_ipvs_backend_connections_active", Type::kGauge,
             "The current active connections by local and remote address.");
  for (size_t i = 0; i < servers.size(); ++i) out.Sample(backends[i], uint64_t{servers[i]->active});
  out.Family("node_ipvs_backend_connections_inactive", Type::kGauge,
             "The current inactive connections by local and remote address.");
  for (size_t i = 0; i < servers.size(); ++i) out.Sample(backends[i], uint64_t{servers[i]->inactive});
  out.Family("node_ipvs_backend_weight", Type::kGauge, "The current backend weight by local and remote address.");
  for (size_t i = 0; i < servers.size(); ++i) out.Sample(backends[i], static_cast<double>(servers[i]->weight));
}

void TrafficFamilies(const Observation& o, Exposition& out) {
  std::vector<Labels> services;
  for (const ServiceView& s : o.services) services.push_back(ServiceLabels(s));
  std::vector<std::pair<Labels, const RealServerView*>> backends;
  for (const ServiceView& s : o.services) {
    for (const RealServerView& r : s.real_servers) {
      if (r.in_table) backends.emplace_back(BackendLabels(s, r), &r);
    }
  }
  for (const TrafficField& f : kTrafficFields) {
    const std::string suffix = f.rate ? "_per_second" : "_total";
    out.Family(std::string("ipvsd_service_") + f.stem + suffix, f.rate ? Type::kGauge : Type::kCounter,
               std::string("Virtual service: ") + f.help + (f.rate ? "." : ", since the last ipvsadm -Z."));
    for (size_t i = 0; i < o.services.size(); ++i) out.Sample(services[i], o.services[i].traffic.*f.member);
    out.Family(std::string("ipvsd_backend_") + f.stem + suffix, f.rate ? Type::kGauge : Type::kCounter,
               std::string("Real server: ") + f.help + (f.rate ? "." : ", since the last ipvsadm -Z."));
    for (const auto& [labels, r] : backends) out.Sample(labels, r->traffic.*f.member);
  }
  out.Family("ipvsd_backend_connections_persistent", Type::kGauge,
             "Persistence templates pointing at the real server (ipvsadm's PersistConn).");
  for (const auto& [labels, r] : backends) out.Sample(labels, uint64_t{r->persistent});
}

void WorkerFamilies(const Observation& o, Exposition& out) {
  struct Field {
    const char* name;
    const char* help;
    uint64_t WorkerView::*member;
    Type type;
  };
  constexpr Field kFields[] = {
      {"ipvsd_worker_connections", "Entries in the worker's connection table.", &WorkerView::connections,
       Type::kGauge},
      {"ipvsd_worker_connection_capacity", "Size of the worker's connection table.",
       &WorkerView::connection_capacity, Type::kGauge},
      {"ipvsd_worker_received_packets_total", "Frames the worker received.", &WorkerView::rx, Type::kCounter},
      {"ipvsd_worker_transmitted_packets_total", "Frames the worker sent.", &WorkerView::tx, Type::kCounter},
      {"ipvsd_worker_passed_packets_total", "Frames left to the kernel (not ipvsd's).", &WorkerView::passed,
       Type::kCounter},
      {"ipvsd_worker_icmp_sent_total", "ICMP errors the director sent.", &WorkerView::icmp_sent, Type::kCounter},
      {"ipvsd_worker_resets_sent_total", "TCP resets sent for stray segments to a service.",
       &WorkerView::resets_sent, Type::kCounter},
      {"ipvsd_worker_checksums_completed_total", "Partial TCP/UDP checksums completed.",
       &WorkerView::checksums_completed, Type::kCounter},
      {"ipvsd_worker_handed_off_total", "Frames handed to the worker owning their connection.",
       &WorkerView::handed_off, Type::kCounter},
      {"ipvsd_worker_handed_in_total", "Frames processed for other workers.", &WorkerView::handed_in,
       Type::kCounter},
      {"ipvsd_worker_entries_dropped_total", "Connections the drop_entry defence removed.",
       &WorkerView::entries_dropped, Type::kCounter},
      {"ipvsd_worker_table_short", "1 while the worker's connection table has fewer free entries than its share "
       "of amemthresh.", &WorkerView::table_short, Type::kGauge},
      {"ipvsd_worker_syn_cookies_sent_total", "SYN-ACKs with a SYN cookie the SYN proxy sent.",
       &WorkerView::syn_cookies_sent, Type::kCounter},
      {"ipvsd_worker_synproxy_opened_total", "Connections the SYN proxy opened for a valid cookie.",
       &WorkerView::synproxy_opened, Type::kCounter},
      {"ipvsd_worker_flows_offloaded_total", "Flow directions handed to the XDP program to forward.",
       &WorkerView::flows_offloaded, Type::kCounter},
      {"ipvsd_worker_flows_withdrawn_total", "Offloaded flow directions taken back (close, expiry, next hop).",
       &WorkerView::flows_withdrawn, Type::kCounter},
      {"ipvsd_worker_offloaded_packets_total", "Packets the XDP program forwarded for the worker's connections.",
       &WorkerView::offloaded_packets, Type::kCounter},
  };
  std::vector<Labels> workers;
  for (const WorkerView& w : o.workers) workers.push_back(Labels().Add("worker", uint64_t{w.id}).Add("queues", w.queues));
  for (const Field& f : kFields) {
    out.Family(f.name, f.type, f.help);
    for (size_t i = 0; i < o.workers.size(); ++i) out.Sample(workers[i], o.workers[i].*f.member);
  }
  out.Family("ipvsd_worker_dropped_packets_total", Type::kCounter, "Frames the worker dropped, by reason.");
  for (const WorkerView& w : o.workers) {
    for (const NamedCount& d : w.drops) out.Sample(Labels().Add("worker", uint64_t{w.id}).Add("reason", d.name), d.value);
  }
  out.Family("ipvsd_packet_io_events_total", Type::kCounter,
             "The packet I/O backend's own counters, summed over the workers (ring overruns included).");
  for (const NamedCount& c : o.backend.counters) out.Sample(Labels().Add("io", o.backend.io).Add("event", c.name), c.value);
  if (!o.backend.conn_store.empty()) {
    out.Family("ipvsd_conn_store_entries_at_start", Type::kGauge,
               "What this run found in the connection store the previous one left: entries by result "
               "(adopted, expired, torn, ...), and files it could not read.");
    for (const NamedCount& c : o.backend.conn_store) out.Sample(Labels().Add("result", c.name), c.value);
  }
}

void SyncAndControlFamilies(const Observation& o, Exposition& out) {
  out.Family("ipvsd_sync_running", Type::kGauge, "Whether the connection-sync master / backup runs.");
  out.Sample(Labels().Add("role", "master"), uint64_t{o.sync.master});
  out.Sample(Labels().Add("role", "backup"), uint64_t{o.sync.backup});
  out.Family("ipvsd_sync_master_events_total", Type::kCounter,
             "Connection-sync master: messages and connections sent, errors, pull requests.");
  for (const NamedCount& c : o.sync.master_counters) out.Sample(Labels().Add("event", c.name), c.value);
  out.Family("ipvsd_sync_backup_events_total", Type::kCounter,
             "Connection-sync backup: datagrams by kind (drops by reason, HMAC failures as unauthenticated), "
             "connections received, pulls.");
  for (const NamedCount& c : o.sync.backup_counters) out.Sample(Labels().Add("event", c.name), c.value);
  out.Family("ipvsd_control_requests_total", Type::kCounter, "Control-socket requests, by request.");
  for (const NamedCount& c : o.control.requests) {
    if (c.value) out.Sample(Labels().Add("request", c.name), c.value);
  }
  out.Family("ipvsd_control_errors_total", Type::kCounter, "Control-socket error replies, by request.");
  for (const NamedCount& c : o.control.errors) {
    if (c.value) out.Sample(Labels().Add("request", c.name), c.value);
  }
  out.Family("ipvsd_build_info", Type::kGauge, "ipvsd's version (the value is 1).");
  out.Sample(Labels().Add("version", o.version), uint64_t{1});
  if (!o.previous_version.empty()) {
    out.Family("ipvsd_takeover_info", Type::kGauge,
               "The ipvsd this process took over from (--takeover): its version and pid (the value is 1).");
    out.Sample(Labels().Add("previous_version", o.previous_version).Add("previous_pid", uint64_t{o.previous_pid}),
               uint64_t{1});
  }
  out.Family("process_start_time_seconds", Type::kGauge, "Start time of the process since unix epoch in seconds.");
  out.Sample(o.start_time);
}

}  // namespace

std::string RenderPrometheus(const Observation& o) {
  Exposition out;
  size_t real_servers = 0;
  for (const ServiceView& s : o.services) real_servers += s.real_servers.size();
  // About 24 series of about 110 bytes per real server, fewer per service.
  out.Reserve(65536 + o.services.size() * 2048 + real_servers * 2800);
  NodeExporterFamilies(o, out);
  TrafficFamilies(o, out);
  WorkerFamilies(o, out);
  SyncAndControlFamilies(o, out);
  return std::move(out).Text();
}

}  // namespace ipvsd::daemon
