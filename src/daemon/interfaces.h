// File: daemon/interfaces.h
//
// Which interfaces ipvsd attaches to (DESIGN.md): those named by --iface, else every UP,
// non-loopback interface of its network namespace. A namespace with only `lo` gives an empty
// list, and ipvsd then runs as a control plane only.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "net/ip_addr.h"

namespace ipvsd::daemon {

// The UP non-loopback interfaces, in ifindex order.
std::vector<std::string> UpInterfaces();
// Checks that every named interface exists (ENODEV otherwise, naming it).
Status CheckInterfaces(const std::vector<std::string>& names);
// The number of receive queues of an interface (1 when the kernel does not say).
int RxQueueCount(const std::string& name);
// Every IPv4 and IPv6 address configured in this network namespace, sorted.
std::vector<net::IpAddr> LocalAddresses();

}  // namespace ipvsd::daemon
