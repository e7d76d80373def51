// File: daemon/data_plane_backends.h
//
// The data planes besides --io pcap, which differ by build: on Linux AF_XDP and AF_PACKET with
// the kernel's routes and neighbours (data_plane_setup_linux.cc); in the portable build none,
// since pcap is all it has (data_plane_setup_portable.cc, docs/portability.md). Only
// daemon/data_plane_setup.cc calls this.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/daemon.h"
#include "daemon/worker_pool.h"
#include "io/xdp_handover.h"
#include "net/route.h"

namespace ipvsd::daemon {

struct KernelDataPlane {
  PacketIoSet io;
  std::unique_ptr<net::Router> router;
};

// The packet I/O `opt.io` asks for on `ifaces`, and its router. `handed`: the AF_XDP sockets of
// the ipvsd this one takes over from (daemon/data_plane_setup.h); closed when not used.
Result<KernelDataPlane> OpenKernelDataPlane(const Options& opt, const std::vector<std::string>& ifaces,
                                            std::vector<io::AfXdpHandover>& handed);

}  // namespace ipvsd::daemon
