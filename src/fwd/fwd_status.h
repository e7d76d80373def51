// File: fwd/fwd_status.h
//
// FwdStatus is the verdict of every forwarding function in fwd/ (nat, dr, tun): whether the
// frame was rewritten and may be transmitted, or why not. Anything but kOk leaves the frame
// exactly as it was, so the caller can still quote it in an ICMP error (net/icmp_error.h).
// The values mirror the exits of the kernel's __ip_vs_get_out_rt() and transmitters in
// net/netfilter/ipvs/ip_vs_xmit.c.
#pragma once

#include <cstdint>

namespace ipvsd::fwd {

enum class FwdStatus : uint8_t {
  kOk = 0,       // rewritten in place: transmit it
  kTtlExceeded,  // TTL / hop limit was <= 1: drop, answer with ICMP time exceeded (decrement_ttl)
  kTooBig,       // longer than the path MTU and may not be fragmented: drop, answer with
                 // ICMP fragmentation needed / ICMPv6 packet too big carrying *mtu_out
  kNoHeadroom,   // the frame lacks headroom for the tunnel headers: drop
  kUnsupported,  // cannot go this way (family mismatch, not an ICMP error, a tunnel path whose
                 // MTU is below the minimum or a result too long for the outer IP length,
                 // a connection without a destination): drop silently
};
inline constexpr int kFwdStatusCount = 5;

}  // namespace ipvsd::fwd
