#include "dataplane/handoff.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

namespace ipvsd::dataplane {

Handoff::Handoff(size_t workers, const HashKey& key)
    : workers_(workers),
      key_(key),
      rings_(std::make_unique<Ring[]>(2 * workers * workers)),
      peers_(std::make_unique<Peer[]>(workers)) {
  for (size_t i = 0; i < workers_; ++i) peers_[i].fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Handoff::~Handoff() {
  for (size_t i = 0; i < workers_; ++i) {
    if (peers_[i].fd >= 0) close(peers_[i].fd);
  }
}

size_t Handoff::OwnerOf(const net::RawAddr& caddr, uint16_t cport) const {
  uint64_t lo, hi;
  std::memcpy(&lo, caddr.bytes.data(), 8);
  std::memcpy(&hi, caddr.bytes.data() + 8, 8);
  const uint64_t h = SipHash13Words(key_, lo, hi, uint64_t{cport});
  // Multiply-shift maps 32 bits of the hash onto [0, workers) without a division.
  return static_cast<size_t>(((h & 0xffffffffu) * workers_) >> 32);
}

bool Handoff::Waiting(size_t worker) {
  for (size_t other = 0; other < workers_; ++other) {
    if (other == worker) continue;
    if (!ToOwner(other, worker).Empty() || !ToOrigin(other, worker).Empty()) return true;
  }
  return false;
}

bool Handoff::Sleep(size_t worker) {
  peers_[worker].asleep.store(true, std::memory_order_seq_cst);
  // Pairs with the fence in Wake: either the pusher sees asleep, or this sees its frame.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!Waiting(worker)) return true;
  peers_[worker].asleep.store(false, std::memory_order_relaxed);
  return false;
}

void Handoff::Awake(size_t worker) {
  peers_[worker].asleep.store(false, std::memory_order_relaxed);
  uint64_t count;
  while (read(peers_[worker].fd, &count, sizeof(count)) > 0) {
  }
}

void Handoff::Wake(size_t worker) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!peers_[worker].asleep.load(std::memory_order_relaxed)) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(peers_[worker].fd, &one, sizeof(one));
}

}  // namespace ipvsd::dataplane
