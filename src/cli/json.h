// File: cli/json.h
//
// ipvsd's one extension to ipvsadm: `ipvsadm -L --json` prints what -L would show as JSON for
// scripts (with -c, --timeout and --daemon too). The table is the same one -L prints: same
// services, same sort order (or daemon order with --nosort), every counter exact, addresses
// always numeric.
//
//   {"version": "1.2.1", "conn_tab_size": 4096, "services": [{"protocol": "tcp", ...}]}
#pragma once

#include <string>
#include <vector>

#include "ctl/proto.h"

namespace ipvsd::cli {

std::string ServicesJson(const ctl::InfoReply& info, const std::vector<ctl::ServiceEntry>& services);
// The whole table (-L --json) also describes ipvsd's data plane: its packet I/O ("none" for a
// control plane only) and per worker the queues it receives from and its counters.
std::string TableJson(const ctl::InfoReply& info, const std::vector<ctl::ServiceEntry>& services,
                      const ctl::DataPlaneInfo& data_plane);
std::string TimeoutJson(const ctl::TimeoutsMsg& t);
std::string DaemonsJson(const ctl::DaemonList& list);
std::string ConnsJson(const ctl::ConnList& list);

}  // namespace ipvsd::cli
