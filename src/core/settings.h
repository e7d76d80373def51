// File: core/settings.h
//
// The kernel's IPVS sysctls that change connection handling (Documentation/networking/
// ipvs-sysctl.rst), with the kernel's defaults. Atomics: the control plane may change them
// while workers read them.
#pragma once

#include <atomic>

namespace ipvsd::core {

struct Settings {
  // 1: a SYN (SCTP INIT) for a connection in TIME_WAIT/CLOSE is scheduled afresh; bit 2 also
  // for FIN_WAIT of a no-output (DR/TUN) connection.
  std::atomic<int> conn_reuse_mode{1};
  // 1: a packet of a connection whose real server was deleted expires the connection at once.
  std::atomic<bool> expire_nodest_conn{false};
  // 1: a persistence template pointing at a weight-0 server is invalid for new connections.
  std::atomic<bool> expire_quiescent_template{false};
  // 1: any non-RST TCP packet (any SCTP packet) may create a connection, not only SYN (INIT).
  std::atomic<bool> sloppy_tcp{false};
  std::atomic<bool> sloppy_sctp{false};
};

}  // namespace ipvsd::core
