// File: io/af_xdp/xdp_features.h
//
// What an interface's driver can do with XDP, as the kernel reports it through the "netdev"
// generic-netlink family (kernel 6.3 and later; Debian 12's headers predate it, so the
// numbers are spelled out in the .cc from include/uapi/linux/netdev.h).
#pragma once

#include <cstdint>
#include <optional>

namespace ipvsd::io {

// Whether a native XDP program may send frames out of `ifindex` (XDP_TX or a redirect):
// NETDEV_XDP_ACT_NDO_XMIT. A veth offers it only while its peer has an XDP program or GRO
// turned on (the peer must run NAPI to receive XDP frames). nullopt when the kernel does not
// say (no "netdev" family).
std::optional<bool> AcceptsXdpFrames(uint32_t ifindex);

}  // namespace ipvsd::io
