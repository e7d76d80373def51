// File: daemon/traffic_filter_builder.h
//
// Derives from a ServiceTable what the packet-I/O backends must hand to ipvsd: every
// address service (protocol, VIP, port; port 0 = every port), and for each NAT real server
// the (protocol, address, port) its replies come from. Firewall-mark services cannot be
// matched below netfilter (the mark is set by iptables rules the backends never see) and
// are left out.
//
// TrafficFilterTracker follows the published tables and reports only what changed: it
// walks the services that differ between two snapshots (ServiceMap::Diff) and counts how
// many services use each NAT source, so a change costs what it changes.
#pragma once

#include <map>
#include <unordered_map>
#include <vector>

#include "core/service_table.h"
#include "io/traffic_filter.h"

namespace ipvsd::daemon {

class TrafficFilterTracker {
 public:
  // What the filter gains and loses from the table seen last (at first: nothing) to `table`.
  io::TrafficFilterChange Update(const core::ServiceTable& table);

 private:
  struct Contribution {
    bool has_match = false;  // fwmark services have none
    io::L4Match match;
    std::vector<io::L4Match> nat_sources;
  };
  static Contribution Of(const core::Service& s);

  core::ServiceMap seen_;
  // What each service contributed when it was seen: its destinations change in place, so
  // what to take back cannot be read from them later.
  std::unordered_map<core::ServiceKey, Contribution, core::ServiceKeyHash> contributed_;
  std::map<io::L4Match, uint32_t> nat_source_users_;
};

}  // namespace ipvsd::daemon
