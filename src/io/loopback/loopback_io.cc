#include "io/loopback/loopback_io.h"

#include <poll.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace ipvsd::io {

LoopbackIo::LoopbackIo(uint32_t frame_size, uint32_t buffers)
    : frame_size_(frame_size), memory_(size_t{frame_size} * buffers) {
  free_buffers_.reserve(buffers);
  for (uint32_t i = buffers; i-- > 0;) free_buffers_.push_back(i);
}

void LoopbackIo::Inject(const std::vector<uint8_t>& bytes, uint32_t ifindex, uint32_t mark) {
  rx_.push_back(Packet{bytes, ifindex, mark});
}

size_t LoopbackIo::Receive(std::span<net::Frame> frames) {
  size_t n = 0;
  while (n < frames.size() && !rx_.empty() && !free_buffers_.empty()) {
    Packet& p = rx_.front();
    uint32_t buf = free_buffers_.back();
    free_buffers_.pop_back();
    net::Frame& f = frames[n++];
    f.buffer = memory_.data() + size_t{buf} * frame_size_;
    f.capacity = frame_size_;
    f.offset = net::kFrameHeadroom;
    f.len = static_cast<uint32_t>(std::min<size_t>(p.bytes.size(), frame_size_ - net::kFrameHeadroom));
    if (f.len > 0) std::memcpy(f.data(), p.bytes.data(), f.len);
    f.ifindex = p.ifindex;
    f.mark = p.mark;
    f.cookie = buf;
    rx_.pop_front();
  }
  return n;
}

LoopbackIo::Packet LoopbackIo::Copy(const net::Frame& f) {
  return Packet{std::vector<uint8_t>(f.data(), f.data() + f.len), f.ifindex, f.mark};
}

void LoopbackIo::Recycle(const net::Frame& f) { free_buffers_.push_back(static_cast<uint32_t>(f.cookie)); }

void LoopbackIo::Send(std::span<const net::Frame> frames) {
  for (const net::Frame& f : frames) {
    if (record_) sent_.push_back(Copy(f));
    Recycle(f);
  }
  sent_count_ += frames.size();
}

void LoopbackIo::Pass(std::span<const net::Frame> frames) {
  for (const net::Frame& f : frames) {
    if (record_) passed_.push_back(Copy(f));
    Recycle(f);
  }
  passed_count_ += frames.size();
}

void LoopbackIo::Drop(std::span<const net::Frame> frames) {
  for (const net::Frame& f : frames) Recycle(f);
  dropped_count_ += frames.size();
}

void LoopbackIo::WaitForFrames(int timeout_ms, int wake_fd) {
  if (!rx_.empty()) return;
  if (wake_fd < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return;
  }
  pollfd fd{wake_fd, POLLIN, 0};
  poll(&fd, 1, timeout_ms);
}

}  // namespace ipvsd::io
