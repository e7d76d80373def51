// File: daemon/observation.h
//
// One moment of a running director, gathered for whoever watches it: /metrics (Prometheus),
// the status page and its JSON (status_page.h), `ipvsadm -L --stats --json`. Plain values
// only, copied out of the engine when the observation is taken (Observe()), so the renderers
// need no lock and know nothing of workers, snapshots or shards.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ctl/proto.h"
#include "net/ip_addr.h"

namespace ipvsd::daemon {

// Counters since the last `ipvsadm -Z`, and the 2-second estimator's rates (per second): the
// values `ipvsadm -Ln --stats` / `--rate` show.
using TrafficCounters = ctl::StatsBlock;

// A real server as ipvsadm lists it, with what ipvs-healthd last reported of it.
struct RealServerView {
  net::IpAddr addr;
  uint16_t port = 0;
  std::string forward;  // "Masq", "Local", "Tunnel" or "Route", as ipvsadm prints it
  int weight = 0;
  // "up"; "down" (failed its checks: ipvs-healthd took it out of the table, it is listed here
  // from healthd's report); "inhibited" (failed, kept at weight 0: inhibit_on_failure);
  // "drained" (weight 0, not by a failed check).
  std::string state;
  bool in_table = true;  // false for a "down" server healthd removed
  uint32_t active = 0;
  uint32_t inactive = 0;
  uint32_t persistent = 0;
  TrafficCounters traffic;
};

struct ServiceView {
  // Identity as node_exporter labels it: fwmark services have no address or port.
  uint32_t fwmark = 0;
  net::Family family = net::Family::kInet;
  std::string proto;  // "TCP", "UDP", "SCTP" or "FWM"
  net::IpAddr addr;   // kUnspec for fwmark services
  uint16_t port = 0;
  std::string name;   // as ipvsadm -Ln names it: "TCP  198.19.0.1:80" -> "TCP 198.19.0.1:80", "FWM 5"
  std::string scheduler;
  bool persistent = false;
  uint32_t persistence_timeout = 0;
  TrafficCounters traffic;
  std::vector<RealServerView> real_servers;  // ipvsadm's order
  // Its new connections per second, one point per estimator tick (2 s), oldest first: the
  // last kHistoryPoints.
  std::vector<uint64_t> cps_history;
};

inline constexpr size_t kHistoryPoints = 150;  // 5 minutes of 2-second ticks

struct NamedCount {
  std::string name;
  uint64_t value = 0;
};

struct WorkerView {
  uint32_t id = 0;
  std::string queues;  // "d0 queue 0,2 d1 queue 0,2" or "d0 d1" (AF_PACKET fanout)
  uint64_t connections = 0;
  uint64_t connection_capacity = 0;
  uint64_t rx = 0;
  uint64_t tx = 0;
  uint64_t passed = 0;  // left to the kernel
  uint64_t icmp_sent = 0;
  uint64_t resets_sent = 0;
  uint64_t checksums_completed = 0;
  uint64_t handed_off = 0;
  uint64_t handed_in = 0;
  // The table-full defences (core/table_defence.h): entries drop_entry removed, and 1 while
  // the worker's shard is short of free entries.
  uint64_t entries_dropped = 0;
  uint64_t table_short = 0;
  // SYN proxy (docs/synproxy.md): SYN-ACKs with a cookie, connections a valid cookie opened.
  uint64_t syn_cookies_sent = 0;
  uint64_t synproxy_opened = 0;
  // Flow offload (io/flow_offload.h): directions handed down and taken back, and the packets
  // forwarded below user space.
  uint64_t flows_offloaded = 0;
  uint64_t flows_withdrawn = 0;
  uint64_t offloaded_packets = 0;
  uint64_t polls = 0;  // polls begun: stands still only while the worker is stuck
  std::vector<NamedCount> drops;  // every reason, zeros included, DropReasonName order
};

// The packet I/O backend's own counters (AF_XDP or AF_PACKET), by name.
struct BackendView {
  std::string io;  // "AF_XDP native copy-mode", ...; empty for a control plane only
  std::vector<NamedCount> counters;
  // What the connection store gave back at start (daemon/conn_stores.h): entries by result
  // (adopted, expired, torn, ...); empty without a store.
  std::vector<NamedCount> conn_store;
};

struct SyncView {
  bool master = false;
  bool backup = false;
  std::vector<NamedCount> master_counters;  // messages_sent, conns_sent, send_errors, too_big, pulls_*
  std::vector<NamedCount> backup_counters;  // datagrams by kind (drops by reason), conns_received, ...
};

struct ControlView {
  std::vector<NamedCount> requests;  // by request name, e.g. "AddDest"
  std::vector<NamedCount> errors;
};

struct Observation {
  std::string version;
  // After a takeover (--takeover): the version and pid of the process this one took over from.
  std::string previous_version;
  uint32_t previous_pid = 0;
  double start_time = 0;  // seconds since the epoch
  double now = 0;
  TrafficCounters totals;
  std::vector<ServiceView> services;  // in the order they were added
  std::vector<WorkerView> workers;
  BackendView backend;
  SyncView sync;
  ControlView control;
};

}  // namespace ipvsd::daemon
