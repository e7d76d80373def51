// File: core/spsc_ring.h
//
// SpscRing is a fixed-capacity single-producer/single-consumer queue of trivially copyable
// records: one thread pushes, one other thread pops, with no lock, no allocation and no
// system call (Lamport's ring with acquire/release indices, each on its own cache line).
// A full ring refuses the push; the producer counts the loss. The sync protocol uses one per
// worker and direction: a worker's connections to the master thread, the backup thread's
// connections to a worker.
//
//   SpscRing<SyncRecord, 4096> ring;
//   if (!ring.TryPush(r)) ++dropped;          // producer thread
//   size_t n = ring.PopMany(std::span(buf));   // consumer thread
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <span>
#include <type_traits>

namespace ipvsd::core {

template <typename T, size_t kCapacity>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(kCapacity >= 2 && (kCapacity & (kCapacity - 1)) == 0, "capacity must be a power of two");

 public:
  bool TryPush(const T& item) {
    size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ == kCapacity) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ == kCapacity) return false;
    }
    slots_[head & (kCapacity - 1)] = item;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Moves up to out.size() records out, oldest first; returns how many.
  size_t PopMany(std::span<T> out) {
    size_t tail = tail_.load(std::memory_order_relaxed);
    size_t head = head_.load(std::memory_order_acquire);
    size_t n = head - tail;
    if (n > out.size()) n = out.size();
    for (size_t i = 0; i < n; ++i) out[i] = slots_[(tail + i) & (kCapacity - 1)];
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  // Consumer side: nothing to pop (a cheap look before preparing a batch).
  bool Empty() const { return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_relaxed); }

  static constexpr size_t capacity() { return kCapacity; }

 private:
  alignas(64) std::atomic<size_t> head_{0};  // written by the producer
  size_t tail_cache_ = 0;                    // the producer's last look at tail_
  alignas(64) std::atomic<size_t> tail_{0};  // written by the consumer
  alignas(64) std::array<T, kCapacity> slots_{};
};

}  // namespace ipvsd::core
