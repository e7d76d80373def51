// File: io/af_packet/af_packet_io.h
//
// AfPacketIo is the PacketIo that works everywhere: Linux packet sockets with mmap'ed
// TPACKET_V2 rings, used when AF_XDP cannot attach. One AfPacketIo spans all the director's
// interfaces (it receives on the client side and transmits on the server side); with
// fanout, one per worker shares each interface's traffic by flow hash.
//
// Why TPACKET_V2 and not V3: V3 hands a block to user space only when it is full or its
// retire timer (at least 1 ms) fires, so at low load every packet waits about a millisecond
// (MACHINE.md: a NAT path capped at 16 k req/s). V2 hands over each frame as it lands, and
// one poll() wakes the worker; V3's batching gains nothing that a burst of V2 frames does not.
//
// With `gso`, every rx slot carries a virtio-net header before the frame: it says whether the
// frame is a TCP aggregate and whether its checksum is partial (net::Frame's offload fields).
// Frames then leave by sendmmsg() straight from their rx slots, with the same header (there
// is no tx ring: see SendCopies).
//
// Zero copy on receive: a Frame points into the rx ring slot (PACKET_RESERVE leaves
// kFrameHeadroom bytes before the Ethernet header for tunnel headers), the worker rewrites
// it in place, and Send copies it once into the tx ring of the interface it leaves by; the rx
// slot returns to the kernel on Send/Pass/Drop. Frames must therefore be handed back
// promptly (a worker does, once per burst): a held slot stops the ring behind it.
//
// The kernel receives its own copy of every frame a packet socket sees. Pass therefore only
// recycles, and SetFilter keeps ipvsd's nftables table (io/af_packet/nft_table.h) dropping
// the kernel's copies of service packets and NAT replies.
//
//   auto io = AfPacketIo::Open({.ifaces = {"eth0", "eth1"}});
//   if (!io) return io.error();
//   (*io)->SetFilter(filter);
#pragma once

#include <poll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "io/packet_io.h"
#include "io/traffic_filter.h"

namespace ipvsd::io {

class NftTable;

struct AfPacketOptions {
  std::vector<std::string> ifaces;
  // PACKET_FANOUT group (flow hash); 0 = no fanout. Interface ifindex uses group id
  // (fanout_group + ifindex) & 0xffff, since a fanout group is bound to one interface.
  uint32_t fanout_group = 0;
  uint32_t frames = 4096;  // per ring (rx and tx) per interface
  // Carry TCP aggregates (GSO/GRO, up to 64 KB) whole, with their offload state, through
  // virtio-net headers (PACKET_VNET_HDR): interfaces may keep their TCP offloads on, and the
  // kernel cuts the aggregates into segments when it transmits them. Ring slots then hold
  // 64 KB, so rings are best made smaller (kGsoFrames).
  bool gso = false;
};

inline constexpr uint32_t kGsoFrames = 256;

class AfPacketIo final : public PacketIo {
 public:
  struct Counters {
    uint64_t rx = 0;            // frames handed to the worker
    uint64_t tx = 0;            // frames queued on a tx ring
    uint64_t tx_ring_full = 0;  // frames dropped because the tx ring had no free slot
    uint64_t tx_errors = 0;     // unknown ifindex, frame too big for a slot, failed kick
    uint64_t rx_truncated = 0;  // frames bigger than a ring slot (GSO/GRO aggregates)
    uint64_t rx_other_host = 0; // frames for another MAC address (promiscuous interface)
    uint64_t rx_drops = 0;      // frames the kernel dropped because the rx ring was full
    uint64_t rx_gso_unsupported = 0;  // --gso: aggregates other than TCP (UDP GSO)
  };

  // Opens one socket with an rx and a tx ring per interface, installs the nftables table.
  static Result<std::unique_ptr<AfPacketIo>> Open(const AfPacketOptions& options);
  ~AfPacketIo() override;
  AfPacketIo(const AfPacketIo&) = delete;
  AfPacketIo& operator=(const AfPacketIo&) = delete;

  size_t Receive(std::span<net::Frame> frames) override;
  // Copies each frame into the tx ring of Frame::ifindex, then one sendto() per interface
  // (with `gso`: one sendmmsg() per interface).
  void Send(std::span<const net::Frame> frames) override;
  // The kernel already has its copy: recycles the slots.
  void Pass(std::span<const net::Frame> frames) override;
  void Drop(std::span<const net::Frame> frames) override;
  void WaitForFrames(int timeout_ms, int wake_fd) override;

  // Makes the kernel drop its copies of what `filter` matches (one nft transaction).
  Status SetFilter(const TrafficFilter& filter);
  Status UpdateFilter(const TrafficFilterChange& change);
  // Reads (and accumulates) the kernel's ring-drop counters: a system call per interface,
  // for the control thread. The other counters are plain loads.
  Counters counters();

 private:
  struct Iface {
    std::string name;
    uint32_t ifindex = 0;
    int fd = -1;
    uint8_t* ring = nullptr;  // rx ring, then tx ring
    size_t ring_len = 0;
    uint32_t frame_size = 0;
    uint32_t frame_count = 0;  // per ring
    uint32_t rx_head = 0;
    uint32_t tx_head = 0;
    // Rx slots taken by Receive and not yet released. A slot handed to another worker can still
    // be out when rx_head comes round to it again: the kernel's TP_STATUS_USER on it then marks
    // a frame already taken, not a new one.
    std::vector<uint8_t> rx_taken;
    bool tx_pending = false;
    uint8_t* RxSlot(uint32_t i) const { return ring + size_t{i} * frame_size; }
    uint8_t* TxSlot(uint32_t i) const { return ring + (size_t{frame_count} + i) * frame_size; }
  };

  AfPacketIo() = default;
  Status OpenIface(const std::string& name, const AfPacketOptions& options, Iface* out);
  Iface* IfaceOf(uint32_t ifindex);
  void SendCopies(std::span<const net::Frame> frames);
  void Release(const net::Frame& f);
  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // one writer
  }

  std::vector<Iface> ifaces_;
  std::vector<pollfd> pollfds_;
  size_t next_iface_ = 0;  // Receive starts here, so that no interface starves the others
  bool gso_ = false;
  std::shared_ptr<NftTable> nft_;

  std::atomic<uint64_t> rx_{0};
  std::atomic<uint64_t> tx_{0};
  std::atomic<uint64_t> tx_ring_full_{0};
  std::atomic<uint64_t> tx_errors_{0};
  std::atomic<uint64_t> rx_truncated_{0};
  std::atomic<uint64_t> rx_other_host_{0};
  std::atomic<uint64_t> rx_gso_unsupported_{0};
  std::atomic<uint64_t> rx_drops_{0};  // control thread only (counters())
};

}  // namespace ipvsd::io
