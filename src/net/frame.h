// File: net/frame.h
//
// Frame is one packet buffer as the I/O layer hands it over: the bytes start at
// buffer + offset, with headroom before them so that a tunnel header can be pushed in place.
// Frames are moved in batches (kMaxBurst) and never allocated on the packet path.
#pragma once

#include <cstdint>

namespace ipvsd::net {

inline constexpr int kMaxBurst = 64;
// Headroom every backend reserves: enough for outer IPv6 + UDP + GUE with options + Ethernet.
inline constexpr uint32_t kFrameHeadroom = 128;

struct Frame {
  uint8_t* buffer = nullptr;
  uint32_t offset = 0;    // where the frame's bytes begin inside buffer
  uint32_t len = 0;       // bytes of frame
  uint32_t capacity = 0;  // size of buffer
  uint32_t ifindex = 0;   // received on; on transmit, the interface to send on
  uint32_t mark = 0;      // firewall mark from the I/O layer (0 = none)
  uint64_t cookie = 0;    // the backend's own handle for the buffer (e.g. UMEM address)
  // Offload state, from backends that carry it (AF_PACKET with --gso), as the kernel's
  // virtio-net header says it. gso_size > 0: a TCP aggregate (up to 64 KB) that the kernel
  // cuts into segments of gso_size payload bytes when it transmits; csum_partial: the L4
  // checksum field holds only the pseudo-header sum, which the kernel completes from
  // csum_start (bytes from the frame's start) and stores at csum_start + csum_offset.
  uint16_t gso_size = 0;
  uint8_t gso_type = 0;  // virtio-net's: 1 TCP/IPv4, 4 TCP/IPv6, | 0x80 with ECN
  bool csum_partial = false;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;

  uint8_t* data() const { return buffer + offset; }
  // Carries offload state for the kernel to finish (below).
  bool offloaded() const { return gso_size || csum_partial; }
  uint32_t tailroom() const { return capacity - offset - len; }
  // Grows the frame at the front by n bytes; false when the headroom is too small.
  bool Push(uint32_t n) {
    if (offset < n) return false;
    offset -= n;
    len += n;
    return true;
  }
  // Removes n bytes from the front.
  void Pull(uint32_t n) {
    offset += n;
    len -= n;
  }
};

}  // namespace ipvsd::net
