// File: daemon/sync_socket.h
//
// The sync protocol's UDP multicast sockets, set up as the kernel's (ip_vs_sync.c
// make_send_sock / make_receive_sock): the group and port of the daemon's configuration, the
// multicast interface by name (an unknown one is ENODEV), the TTL, and multicast loop off so
// that a director never hears its own messages. IPv4 and IPv6 groups.
#pragma once

#include <sys/socket.h>

#include "base/result.h"
#include "ctl/proto.h"

namespace ipvsd::daemon {

// A socket that sends to the group out of the interface (with SendToGroup). Not connected:
// as the kernel's, a master starts even while the interface has no route to the group yet.
Result<int> OpenSyncSender(const ctl::DaemonConfig& config);
// A socket bound to the group's port and joined to the group on the interface; it can also
// send to the group (pull requests) with the sender's settings. SO_REUSEADDR lets a master
// (listening for pull requests) and a backup share the port.
Result<int> OpenSyncReceiver(const ctl::DaemonConfig& config);
// Sends one datagram to the group.
bool SendToGroup(int fd, const ctl::DaemonConfig& config, const void* data, size_t len);

}  // namespace ipvsd::daemon
