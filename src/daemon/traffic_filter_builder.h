// File: daemon/traffic_filter_builder.h
//
// Derives from a ServiceTable what the packet-I/O backends must hand to ipvsd: every
// address service (protocol, VIP, port; port 0 = every port), and for each NAT real server
// the (protocol, address, port) its replies come from. Firewall-mark services cannot be
// matched below netfilter (the mark is set by iptables rules the backends never see) and
// are left out.
#pragma once

#include "core/service_table.h"
#include "io/traffic_filter.h"

namespace ipvsd::daemon {

io::TrafficFilter BuildTrafficFilter(const core::ServiceTable& table);

}  // namespace ipvsd::daemon
