// File: dataplane/handoff.h
//
// Handoff brings a packet to the worker that owns its connection when the NIC put it on
// another worker's queue (DPVS's connection redirect, VPP's worker handoff).
//
// Every connection has one home: the worker picked by a keyed hash of its client side
// (address and port), which both directions carry: a client's packets as their source, NAT
// replies as their destination, ICMP errors in the packet they quote. A packet whose
// connection is in the table of the worker that received it is handled there, with no lock
// and no handoff. Only a packet that finds nothing there and whose client side hashes to
// another worker is handed off: the receiving worker (the origin) pushes the frame into the
// ring to the owner; the owner processes it at its next poll, rewriting it in place, and
// pushes it back with its verdict; the origin sends, passes or drops it through its own I/O,
// which owns the buffer. Only the frame descriptor moves: no copy, and no I/O backend needs
// to know.
//
// Rings are single-producer/single-consumer, one per (origin, owner) pair and direction, of
// kRingSize frames. An origin keeps at most kRingSize frames out at one owner, so the way
// back never fills; past that it drops and counts. The key is random per process, so an
// attacker cannot aim every connection at one worker.
//
// A worker about to sleep on its I/O says so (Sleep); whoever pushes to it then wakes it
// through its pipe (Wake), so that a handed-off packet does not wait for a timeout. A pipe
// rather than Linux's eventfd: the portable build has the same handoff (docs/portability.md).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "core/spsc_ring.h"
#include "dataplane/verdict.h"
#include "base/siphash.h"
#include "net/frame.h"
#include "net/ip_addr.h"

namespace ipvsd::dataplane {

struct HandedFrame {
  net::Frame frame;
  Verdict verdict;  // on the way back: the owner's
};

class Handoff {
 public:
  static constexpr size_t kRingSize = 1024;
  using Ring = core::SpscRing<HandedFrame, kRingSize>;

  // `workers` >= 1; `key` random in production (RandomHashKey).
  Handoff(size_t workers, const HashKey& key);
  ~Handoff();
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  size_t workers() const { return workers_; }
  // The worker that owns the connections of client (caddr, cport).
  size_t OwnerOf(const net::RawAddr& caddr, uint16_t cport) const;

  // Frames from `origin` for `owner` to process, and back.
  Ring& ToOwner(size_t origin, size_t owner) { return rings_[2 * (origin * workers_ + owner)]; }
  Ring& ToOrigin(size_t owner, size_t origin) { return rings_[2 * (origin * workers_ + owner) + 1]; }
  // Any frame waiting for `worker`, either way.
  bool Waiting(size_t worker);

  // `worker` is about to wait on its I/O and on wake_fd(worker): returns false (and stays
  // awake) when a frame is already waiting for it. Awake() once the wait is over.
  bool Sleep(size_t worker);
  void Awake(size_t worker);
  int wake_fd(size_t worker) const { return peers_[worker].wake_read; }
  // Call after pushing frames for `worker`: wakes it if it sleeps.
  void Wake(size_t worker);

 private:
  struct alignas(64) Peer {
    std::atomic<bool> asleep{false};
    int wake_read = -1;  // the pipe the worker waits on, non-blocking both ends
    int wake_write = -1;
  };

  size_t workers_;
  HashKey key_;
  std::unique_ptr<Ring[]> rings_;
  std::unique_ptr<Peer[]> peers_;
};

}  // namespace ipvsd::dataplane
