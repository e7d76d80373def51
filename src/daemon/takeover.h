// File: daemon/takeover.h
//
// ipvsd --takeover: a new ipvsd process (an upgraded binary, or the same one with new options)
// takes over from the one running on the same control socket without dropping a connection
// (docs/operations.md "Upgrades"):
//
//   1. TakeOver, in the new process, before it touches anything: reads the running ipvsd's
//      services, real servers, timeouts and sync daemons over the control socket, and checks
//      that it can read the running one's connection store and has its interfaces. Any
//      failure ends here with a message, and the running ipvsd keeps serving.
//   2. It asks the running ipvsd to hand over (kHandover). That one stops its workers, so its
//      tables in the connection store are consistent, passes its AF_XDP UMEMs and sockets
//      (daemon/socket_handover.h; PassSockets), tells systemd the new process is the service's
//      main one (MAINPID=), and exits without detaching its XDP programs, which go on feeding
//      the passed sockets meanwhile.
//   3. Once it has exited, the new process starts as usual, with the old one's configuration
//      instead of the saved rules (Daemon::SetTakeover) and the sockets it was passed, and
//      adopts the connection store.
//
// The services' packets wait in the passed sockets' rx rings for about the new process's
// start-up, and none is reset. Without passed sockets (AF_PACKET, other workers or queues) they
// are held, and clients retransmit once the new process runs.
//
// SIGUSR2 (`systemctl reload ipvsd`) makes the running ipvsd start the new process itself
// (SpawnTakeover), from its program's path as it was at start (the upgraded binary, after a
// package upgrade) with its own arguments.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "ctl/proto.h"
#include "daemon/daemon.h"
#include "daemon/worker_pool.h"
#include "io/xdp_handover.h"

namespace ipvsd::daemon {

// What the new process takes from the old one.
struct TakeoverState {
  ctl::ServiceList services;
  ctl::TimeoutsMsg timeouts;
  ctl::DaemonList daemons;
  ctl::Handover old;       // the process that handed over
  uint64_t asked_at_ns = 0;  // CLOCK_MONOTONIC when the old process was asked to stop
  std::vector<io::AfXdpHandover> xdp_sockets;  // its AF_XDP UMEMs and sockets, one per worker
};

// Steps 1 and 2 above, then waits (up to 10 s) for the old process to exit.
Result<TakeoverState> TakeOver(const Options& options);

// In the old process, its workers stopped: passes their AF_XDP UMEMs and sockets to process
// `to` (logging what it could not pass; that process then opens its own).
void PassSockets(WorkerPool& workers, uint32_t to);

// Starts `program` with `args` and --takeover, with no signal blocked; returns its pid.
Result<pid_t> SpawnTakeover(const std::string& program, const std::vector<std::string>& args);

// The batch that rebuilds `services` (services in table order, each with its real servers in
// the order they were added) and sets `timeouts`.
ctl::BatchRequest RebuildBatch(const ctl::ServiceList& services, const ctl::TimeoutsMsg& timeouts);

}  // namespace ipvsd::daemon
