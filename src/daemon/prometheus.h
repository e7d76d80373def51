// File: daemon/prometheus.h
//
// ipvsd's /metrics in the Prometheus text format. Two sets of families:
//   - node_exporter's IPVS collector, with its names, types and labels, so that dashboards
//     and alerts written for kernel IPVS keep working: node_ipvs_{connections,incoming_packets,
//     outgoing_packets,incoming_bytes,outgoing_bytes}_total, and per real server
//     node_ipvs_backend_{connections_active,connections_inactive,weight} labelled local_address,
//     local_port, remote_address, remote_port, proto, local_mark as the collector fills them
//     from /proc/net/ip_vs (fwmark services: local_address "", local_port "0", local_mark the
//     mark as 8 upper-case hex digits; others: local_mark "");
//   - ipvsd_* for what only ipvsd knows: per service and per real server counters and rates,
//     per worker packets, drops by reason, handoffs and connection table use, the packet
//     I/O's counters, connection sync, the control socket, build and start time.
#pragma once

#include <string>

#include "daemon/observation.h"

namespace ipvsd::daemon {

std::string RenderPrometheus(const Observation& o);

}  // namespace ipvsd::daemon
