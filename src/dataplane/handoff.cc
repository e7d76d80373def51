#include "dataplane/handoff.h"

#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstring>

namespace ipvsd::dataplane {

Handoff::Handoff(size_t workers, const sched::HsiphashKey& key)
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
  uint8_t key[sizeof(caddr) + sizeof(cport)];
  std::memcpy(key, &caddr, sizeof(caddr));
  std::memcpy(key + sizeof(caddr), &cport, sizeof(cport));
  // Multiply-shift maps the 32-bit hash onto [0, workers) without a division.
  return static_cast<size_t>((uint64_t{sched::Hsiphash(key, key_)} * workers_) >> 32);
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

sched::HsiphashKey RandomHandoffKey() {
  sched::HsiphashKey key{};
  // getrandom of 16 bytes does not fail once the pool is initialised (it blocks until then).
  [[maybe_unused]] ssize_t n = getrandom(&key, sizeof(key), 0);
  return key;
}

}  // namespace ipvsd::dataplane
