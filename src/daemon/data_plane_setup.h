// File: daemon/data_plane_setup.h
//
// Builds ipvsd's data plane from its options: the interfaces (--iface, else every UP
// non-loopback one), the packet I/O (--io: AF_XDP, AF_PACKET, or auto = AF_XDP falling back
// to AF_PACKET), the kernel's routes and neighbours (NetlinkRouter), and one worker per rx
// queue up to --workers; or, with --io pcap, libpcap and ipvsd's own routes and neighbours
// (daemon/pcap_data_plane.h). With no interface it returns nullptr: a control plane only.
// The portable build has --io pcap only (daemon/data_plane_backends.h).
#pragma once

#include <memory>

#include "base/result.h"
#include "daemon/daemon.h"
#include "daemon/worker_pool.h"
#include "io/xdp_handover.h"

namespace ipvsd::daemon {

// `handed`: the AF_XDP sockets of the ipvsd this one takes over from, one entry per worker
// (daemon/socket_handover.h); used when the workers and queues are the same, closed otherwise.
Result<std::unique_ptr<WorkerPool>> MakeDataPlane(Daemon& daemon, std::vector<io::AfXdpHandover> handed = {});

// The most workers MakeDataPlane may start: --workers, else one per core, at most
// core::kMaxWorkers (AF_XDP may start fewer, as its interfaces' queues allow).
int WorkerLimit(const Options& options);

}  // namespace ipvsd::daemon
