// File: daemon/pcap_data_plane.h
//
// --io pcap (and the only data plane of the portable build): one io::PcapIo over every
// attached interface, served by one worker, and the io::PortableRouter that answers the
// worker's next-hop lookups from getifaddrs, the --route table and its own ARP/ND, which it
// sends and receives through the same pcap handles (docs/portability.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "daemon/worker_pool.h"
#include "io/portable/static_route.h"
#include "net/route.h"

namespace ipvsd::daemon {

struct PcapDataPlane {
  PacketIoSet io;
  std::unique_ptr<net::Router> router;
};

// `workers` is what was asked for: more than one is logged and served by one.
Result<PcapDataPlane> OpenPcap(const std::vector<std::string>& ifaces, const std::vector<io::StaticRoute>& routes,
                               int workers, const Clock& clock);

}  // namespace ipvsd::daemon
