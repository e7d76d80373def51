// File: io/pcap/pcap_io.h
//
// PcapIo is the portable PacketIo: libpcap, which every Unix-like system has (BPF devices on
// the BSDs and macOS, packet sockets on Linux), so that ipvsd runs where neither AF_XDP nor
// AF_PACKET exists. One pcap handle per interface, opened in immediate mode (a frame is
// handed over as it lands, not when a buffer fills), non-blocking, capturing only inbound
// frames (our own transmissions do not come back). Receive reads a batch with pcap_dispatch,
// Send writes each frame with pcap_inject.
//
// What is captured is a BPF program compiled by pcap_compile from the same TrafficFilter the
// XDP program applies (services by destination, NAT replies by source, not to the director's
// own addresses), plus ARP and IPv6 Neighbor Solicitations/Advertisements, which go to the
// neighbour handler (the PortableRouter) instead of the worker. FilterExpression is that text.
//
// The cost, against AF_PACKET's zero-copy rings: libpcap copies each frame out of its buffer
// into one of ours (its buffer is only valid until the next call), and every transmitted frame
// is one system call. docs/performance.md has the packets/s beside the other backends.
//
// The kernel keeps its own copy of every frame a capture sees, on every system: PcapIo cannot
// take frames away from it. Pass is therefore only a release, and keeping the kernel from
// answering or forwarding service packets itself is the system's configuration (no VIP on the
// director, forwarding off and a firewall rule dropping them: docs/portability.md), not ipvsd's.
//
// One worker: libpcap has no portable way to spread one interface over several handles (Linux's
// PACKET_FANOUT has no BSD counterpart), so one PcapIo serves every interface.
//
//   auto io = PcapIo::Open({.ifaces = {"em0", "em1"}});
//   if (!io) return io.error();
//   (*io)->SetNeighbourHandler([&](uint32_t ifindex, std::span<const uint8_t> f) { ... });
//   (*io)->SetFilter(filter);
#pragma once

#include <poll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "io/packet_io.h"
#include "io/traffic_filter.h"

struct pcap_pkthdr;

namespace ipvsd::io {

struct PcapOptions {
  std::vector<std::string> ifaces;
  uint32_t buffers = 512;                // frames ipvsd holds at most (copies of received frames)
  int kernel_buffer_bytes = 4 << 20;     // pcap_set_buffer_size: the capture buffer per interface
};

// The interfaces' pcap handles. Shared: the router's solicitations go out through them
// (Inject) from its own thread, and may outlive the PcapIo by a moment at shutdown.
class PcapPorts;

class PcapIo final : public PacketIo {
 public:
  using NeighbourHandler = std::function<void(uint32_t ifindex, std::span<const uint8_t> frame)>;
  // What the neighbour handler's owner uses to transmit: one frame on one interface, from
  // any thread.
  using Injector = std::function<void(uint32_t ifindex, std::span<const uint8_t> frame)>;

  struct Counters {
    uint64_t rx = 0;            // frames handed to the worker
    uint64_t tx = 0;            // frames written
    uint64_t tx_errors = 0;     // pcap_inject failed, or no such interface
    uint64_t rx_neighbour = 0;  // ARP/ND frames handed to the neighbour handler
    uint64_t rx_truncated = 0;  // frames larger than a buffer (TCP aggregates: offloads on)
    uint64_t rx_no_buffer = 0;  // Receive stopped early: every buffer was out
    uint64_t kernel_drops = 0;  // pcap_stats ps_drop: the capture buffer overflowed
  };

  // Opens and activates a handle per interface with the filter that captures only ARP/ND
  // (until SetFilter).
  static Result<std::unique_ptr<PcapIo>> Open(const PcapOptions& options);
  ~PcapIo() override;
  PcapIo(const PcapIo&) = delete;
  PcapIo& operator=(const PcapIo&) = delete;

  size_t Receive(std::span<net::Frame> frames) override;
  void Send(std::span<const net::Frame> frames) override;
  // The kernel got its copy when the frame was captured: nothing to hand over, the buffer is
  // released.
  void Pass(std::span<const net::Frame> frames) override;
  void Drop(std::span<const net::Frame> frames) override;
  void WaitForFrames(int timeout_ms, int wake_fd) override;

  // Called by Receive (the worker's thread) for each ARP or ND frame; set before the worker starts.
  void SetNeighbourHandler(NeighbourHandler handler) { neighbour_ = std::move(handler); }
  Injector injector() const;

  // Compiles the filter and installs it on every handle.
  Status SetFilter(const TrafficFilter& filter);
  Status UpdateFilter(const TrafficFilterChange& change);
  // The pcap filter expression of `filter` (pcap-filter(7)).
  static std::string FilterExpression(const AppliedFilter& filter);

  Counters counters();

 private:
  PcapIo() = default;
  Status ApplyLocked();
  static void OnPacket(unsigned char* user, const ::pcap_pkthdr* h, const unsigned char* bytes);
  void Release(const net::Frame& f) { free_.push_back(static_cast<uint32_t>(f.cookie)); }
  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // one writer
  }

  std::shared_ptr<PcapPorts> ports_;
  NeighbourHandler neighbour_;
  // Buffers: one block, `buffer_size` bytes each; the free list is the worker's alone.
  std::vector<uint8_t> memory_;
  uint32_t buffer_size_ = 0;
  std::vector<uint32_t> free_;
  std::vector<pollfd> pollfds_;  // every handle's descriptor, then WaitForFrames' wake_fd
  size_t next_port_ = 0;  // Receive starts here, so that no interface starves the others

  std::mutex filter_mu_;  // guards applied_
  AppliedFilter applied_;

  std::atomic<uint64_t> rx_{0};
  std::atomic<uint64_t> tx_{0};
  std::atomic<uint64_t> tx_errors_{0};
  std::atomic<uint64_t> rx_neighbour_{0};
  std::atomic<uint64_t> rx_truncated_{0};
  std::atomic<uint64_t> rx_no_buffer_{0};
};

}  // namespace ipvsd::io
