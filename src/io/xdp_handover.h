// File: io/xdp_handover.h
//
// AfXdpHandover, the AF_XDP UMEM and sockets one ipvsd passes to its successor in a takeover
// (io/af_xdp/af_xdp_io.h makes and adopts them, daemon/socket_handover.h carries them). Only
// descriptors and numbers, kept apart from the AF_XDP backend so that the daemon's takeover
// and worker pool name it in the portable build too, which has no AF_XDP and never fills one.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <vector>

namespace ipvsd::io {

// An AfXdpIo's UMEM and sockets, as a successor in another process takes them over (an
// upgrade, daemon/takeover.h): the sockets stay bound across, so the services' packets wait in
// their rx rings meanwhile instead of being dropped. The holder owns the descriptors.
struct AfXdpHandover {
  struct Socket {
    uint32_t ifindex = 0;
    uint32_t queue = 0;
    int fd = -1;
  };
  int umem_fd = -1;  // a memfd holding the UMEM
  uint32_t frames = 0;
  uint32_t ring_size = 0;
  std::vector<Socket> sockets;        // in the order of AfXdpOptions::queues
  std::vector<uint64_t> free_frames;  // UMEM chunks idle in user space; the others are in the rings

  void Close() {
    if (umem_fd >= 0) close(umem_fd);
    umem_fd = -1;
    for (Socket& s : sockets) {
      if (s.fd >= 0) close(s.fd);
      s.fd = -1;
    }
  }
};

}  // namespace ipvsd::io
