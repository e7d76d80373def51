// File: io/af_xdp/af_xdp_io.h
//
// AfXdpIo is the AF_XDP backend of PacketIo: one instance per worker, with a socket for each
// (interface, rx queue) it serves, usually the same queues of every interface the director
// serves, because a director receives on one side (clients) and usually transmits on the
// other (real servers). All its sockets share one UMEM, so a frame received on one interface
// is rewritten in place and transmitted on another without a copy in user space (the kernel
// copies on veth, where zero-copy is refused).
//
// The XDP program (xdp_program.h) redirects to these sockets only what SetFilter says is
// ipvsd's; the rest never leaves the kernel. That matters because AF_XDP cannot hand a frame
// back to the kernel's stack: Pass() can only drop, and counts what it drops.
//
//   Result<std::unique_ptr<AfXdpIo>> io = AfXdpIo::Open({.ifaces = {"eth0", "eth1"}});
//   if (!io) return io.error();
//   (*io)->SetFilter(filter);        // control thread, any time
//   worker.Poll(**io);               // worker thread
//
// Threading: Receive/Send/Pass/Drop/WaitForFrames belong to one worker thread; SetFilter,
// counters() and mode_description() may be called from any thread.
#pragma once

#include <poll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "io/af_xdp/xdp_program.h"
#include "io/packet_io.h"
#include "io/traffic_filter.h"
#include "io/xdp_handover.h"

struct xsk_umem;

namespace ipvsd::io {

// One socket: interface `iface` (an index into AfXdpOptions::ifaces), rx queue `queue`.
struct AfXdpQueue {
  uint32_t iface = 0;
  uint32_t queue = 0;
};

struct AfXdpOptions {
  using Mode = XdpMode;  // kAuto: native, falling back to skb (generic); kNative; kSkb
  std::vector<std::string> ifaces;  // every interface of the director: the program's
  // The sockets of this AfXdpIo; empty: queue 0 of every interface.
  std::vector<AfXdpQueue> queues;
  Mode mode = Mode::kAuto;
  uint32_t frames = 4096;  // UMEM frames (4 KiB each) shared by all the interfaces' sockets
  // A predecessor's UMEM and sockets to go on with instead of new ones (the same interfaces,
  // queues and frames). Open takes its descriptors over, also when it fails.
  AfXdpHandover* adopt = nullptr;
};

// What the backend did, summed over its sockets. Frames the kernel dropped before they reached
// ipvsd (rx ring overruns) are in the kernel_* fields, read from the sockets on request.
struct AfXdpCounters {
  uint64_t rx = 0;               // frames received
  uint64_t tx = 0;               // frames queued for transmission
  uint64_t passed_dropped = 0;   // Pass()ed frames: AF_XDP cannot re-inject them, so dropped
  uint64_t dropped = 0;          // Drop()ped frames
  uint64_t tx_ring_full = 0;     // frames dropped because the tx ring had no room
  uint64_t tx_unsendable = 0;    // dropped: Frame::ifindex not one of ours, or bytes outside the buffer
  uint64_t fill_ring_empty = 0;  // refills that found no free frame for the fill ring
  uint64_t kernel_rx_dropped = 0;     // XDP_STATISTICS: rx_dropped + rx_ring_full
  uint64_t kernel_fill_empty = 0;     // XDP_STATISTICS: rx_fill_ring_empty_descs
  uint64_t kernel_invalid_descs = 0;  // XDP_STATISTICS: rx_invalid_descs + tx_invalid_descs
};

class AfXdpIo final : public PacketIo {
 public:
  // Detaches stale ipvsd XDP programs from o.ifaces, attaches the program (shared with the
  // AfXdpIo of the other queues of the same interfaces), creates the UMEM and one socket per
  // entry of o.queues. Every error names the interface, the queue, the step and the errno text.
  static Result<std::unique_ptr<AfXdpIo>> Open(const AfXdpOptions& o);
  // Removes an ipvsd XDP program left on these interfaces by an earlier run that was killed
  // (a left-over program would keep redirecting to sockets that no longer exist). Open calls
  // it; call it directly only when no AfXdpIo of this process serves the interfaces.
  static void DetachStale(const std::vector<std::string>& ifaces);

  AfXdpIo(const AfXdpIo&) = delete;
  AfXdpIo& operator=(const AfXdpIo&) = delete;
  // Closes the sockets and frees the UMEM; the last AfXdpIo of the interfaces detaches the
  // XDP program.
  ~AfXdpIo() override;

  size_t Receive(std::span<net::Frame> frames) override;
  // Transmits each frame on the socket of its ifindex; frames for other interfaces, or that
  // find the tx ring full, are dropped and counted. Frames may have grown at the front into
  // the headroom (the kernel leaves 256 bytes before received data in every UMEM chunk).
  void Send(std::span<const net::Frame> frames) override;
  // Drops and counts: see the file comment.
  void Pass(std::span<const net::Frame> frames) override;
  void Drop(std::span<const net::Frame> frames) override;
  // poll()s the sockets until one has frames or timeout_ms passes.
  void WaitForFrames(int timeout_ms, int wake_fd) override;

  // Replaces what the XDP program redirects to ipvsd (shared by every queue).
  Status SetFilter(const TrafficFilter& filter);
  Status UpdateFilter(const TrafficFilterChange& change);
  // The program's flow offload (shared by every queue).
  std::shared_ptr<FlowOffload> flow_offload() const { return program_; }
  // E.g. "native copy-mode" or "skb copy-mode", for the start-up log line.
  std::string mode_description() const;
  AfXdpCounters counters() const;
  // For a successor in another process: duplicates of the UMEM's and the sockets' descriptors,
  // and the frames idle here. Only once the worker has stopped for good: the successor
  // receives from the same rings.
  Result<AfXdpHandover> HandOver() const;

 private:
  struct Socket;
  // Single-writer counters (the worker), readable from any thread.
  struct Counters {
    std::atomic<uint64_t> rx{0}, tx{0}, passed_dropped{0}, dropped{0}, tx_ring_full{0}, tx_unsendable{0},
        fill_ring_empty{0};
  };

  AfXdpIo() = default;
  // Sizes the rings and maps the UMEM: `umem_fd` (taken over), or a new memfd when it is -1.
  Status Init(const AfXdpOptions& o, const std::vector<XdpProgram::Iface>& ifaces,
              const std::vector<AfXdpQueue>& queues, int umem_fd);
  Status CreateSockets(const std::vector<AfXdpQueue>& queues);
  Status AdoptSockets(AfXdpHandover& from, const std::vector<AfXdpQueue>& queues);
  // Reads the socket's mode, puts it in the XSKMAP and stocks its fill ring.
  Status Register(Socket& s, uint32_t slot);
  void Recycle(std::span<const net::Frame> frames);
  void Refill(Socket& s);
  void ReapCompletions(Socket& s);
  void KickTx(Socket& s);
  static void Add(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::shared_ptr<XdpProgram> program_;
  int umem_fd_ = -1;
  uint8_t* umem_area_ = nullptr;
  size_t umem_size_ = 0;
  uint32_t frames_ = 0;
  xsk_umem* umem_ = nullptr;
  // Rings are referenced by libxdp through pointers: the sockets never move.
  std::unique_ptr<Socket[]> sockets_;
  uint32_t num_sockets_ = 0;
  uint32_t ring_size_ = 0;
  uint32_t fill_target_ = 0;  // frames each fill ring is kept stocked with
  uint32_t rx_next_ = 0;      // socket Receive starts with, rotated for fairness
  std::vector<uint64_t> free_frames_;  // UMEM chunk addresses owned by user space and idle
  std::vector<pollfd> pollfds_;        // WaitForFrames' (kept to avoid an allocation per wait)
  std::vector<uint32_t> per_socket_;   // Send's count of frames per socket
  Counters counters_;
};

}  // namespace ipvsd::io
