#include "dataplane/handoff.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace ipvsd::dataplane {

Handoff::Handoff(size_t workers, const HashKey& key)
    : workers_(workers),
      key_(key),
      rings_(std::make_unique<Ring[]>(2 * workers * workers)),
      peers_(std::make_unique<Peer[]>(workers)) {
  for (size_t i = 0; i < workers_; ++i) {
    int ends[2];
    if (pipe(ends) != 0) continue;  // that worker then waits out its poll timeout instead
    for (int fd : ends) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    peers_[i].wake_read = ends[0];
    peers_[i].wake_write = ends[1];
  }
}

Handoff::~Handoff() {
  for (size_t i = 0; i < workers_; ++i) {
    if (peers_[i].wake_read >= 0) close(peers_[i].wake_read);
    if (peers_[i].wake_write >= 0) close(peers_[i].wake_write);
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
  char drained[64];
  while (read(peers_[worker].wake_read, drained, sizeof(drained)) > 0) {
  }
}

void Handoff::Wake(size_t worker) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!peers_[worker].asleep.load(std::memory_order_relaxed)) return;
  // A full pipe already holds a wake-up: the write may fail.
  const char one = 1;
  [[maybe_unused]] ssize_t n = write(peers_[worker].wake_write, &one, 1);
}

}  // namespace ipvsd::dataplane
