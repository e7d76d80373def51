// File: io/loopback/loopback_io.h
//
// LoopbackIo is the in-memory backend: tests and benchmarks inject frames, a worker polls
// them as from a NIC, and what it transmits, passes or drops is recorded (or, in benchmark
// mode, simply recycled). It drives the whole data-plane pipeline without interfaces, the
// user-space counterpart of VPP's packet-generator interfaces.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "io/packet_io.h"

namespace ipvsd::io {

class LoopbackIo final : public PacketIo {
 public:
  struct Packet {
    std::vector<uint8_t> bytes;
    uint32_t ifindex = 0;
    uint32_t mark = 0;
  };

  // frame_size: bytes per buffer, headroom included.
  explicit LoopbackIo(uint32_t frame_size = 2048, uint32_t buffers = 1024);

  // Queues a frame as if it had arrived on `ifindex`.
  void Inject(const std::vector<uint8_t>& bytes, uint32_t ifindex = 1, uint32_t mark = 0);
  // Benchmarks: frames sent, passed or dropped are not recorded, only counted.
  void set_record(bool on) { record_ = on; }

  size_t Receive(std::span<net::Frame> frames) override;
  void Send(std::span<const net::Frame> frames) override;
  void Pass(std::span<const net::Frame> frames) override;
  void Drop(std::span<const net::Frame> frames) override;
  // Nothing arrives on its own: just sleeps.
  void WaitForFrames(int timeout_ms, int wake_fd) override;

  std::vector<Packet>& sent() { return sent_; }
  std::vector<Packet>& passed() { return passed_; }
  uint64_t sent_count() const { return sent_count_; }
  uint64_t passed_count() const { return passed_count_; }
  uint64_t dropped_count() const { return dropped_count_; }
  size_t pending() const { return rx_.size(); }

 private:
  void Recycle(const net::Frame& f);
  static Packet Copy(const net::Frame& f);

  uint32_t frame_size_;
  std::vector<uint8_t> memory_;
  std::vector<uint32_t> free_buffers_;
  std::deque<Packet> rx_;
  std::vector<Packet> sent_;
  std::vector<Packet> passed_;
  bool record_ = true;
  uint64_t sent_count_ = 0;
  uint64_t passed_count_ = 0;
  uint64_t dropped_count_ = 0;
};

}  // namespace ipvsd::io
