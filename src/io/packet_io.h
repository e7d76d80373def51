// File: io/packet_io.h
//
// PacketIo is the one small interface between ipvsd and a way of moving frames: AF_XDP,
// AF_PACKET, the in-memory loopback of tests and benchmarks, or another operating system's
// packet I/O. Everything is a batch: one virtual call moves up to net::kMaxBurst frames.
// A frame handed out by Receive() belongs to the worker until it gives it back through
// exactly one of Send(), Pass() or Drop().
#pragma once

#include <cstddef>
#include <span>

#include "net/frame.h"

namespace ipvsd::io {

class PacketIo {
 public:
  virtual ~PacketIo() = default;
  // Fills up to frames.size() received frames; returns how many. Never blocks.
  virtual size_t Receive(std::span<net::Frame> frames) = 0;
  // Transmits each frame on its ifindex; the buffers go back to the backend.
  virtual void Send(std::span<const net::Frame> frames) = 0;
  // Hands frames that are not ipvsd's business to the kernel's own stack.
  virtual void Pass(std::span<const net::Frame> frames) = 0;
  // Frees frames that are dropped.
  virtual void Drop(std::span<const net::Frame> frames) = 0;
  // Blocks until frames may be waiting, wake_fd (when >= 0) is readable, or timeout_ms passes;
  // a worker calls it after finding nothing to do for a while, so that an idle data plane does
  // not spin. wake_fd is how another worker that hands it a packet wakes it (a pipe:
  // dataplane/handoff.h).
  virtual void WaitForFrames(int timeout_ms, int wake_fd) = 0;
};

}  // namespace ipvsd::io
