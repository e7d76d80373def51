#include "io/af_xdp/af_xdp_io.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "io/af_xdp/xdp_maps.h"

namespace ipvsd::io {
namespace {

// One UMEM chunk per frame. 4 KiB holds a 1500-byte MTU frame after the kernel's headroom
// with room to spare for tunnel headers and ICMP errors, and matches libxdp's default.
constexpr uint32_t kChunkSize = XSK_UMEM__DEFAULT_FRAME_SIZE;
constexpr uint64_t kChunkMask = ~uint64_t{kChunkSize - 1};
// The kernel places received data XDP_PACKET_HEADROOM (256) bytes into each chunk, in copy and
// zero-copy mode alike; that covers the headroom the worker needs to push tunnel headers.
constexpr uint32_t kKernelHeadroom = 256;
static_assert(net::kFrameHeadroom <= kKernelHeadroom);
constexpr uint32_t kMinFrames = 512;
constexpr uint32_t kMaxFrames = 1u << 20;
// In copy mode one sendto() transmits at most 32 descriptors (the kernel's TX_BATCH_SIZE);
// this many kicks drain a full burst with margin, and a bounded loop cannot spin.
constexpr int kMaxTxKicks = 8;
constexpr uint8_t kNoSocket = 0xff;
// How long a queue another process's socket still holds is waited for (EBUSY).
constexpr int kBusyQueueWaitMs = 2000;

std::string ErrnoText(int err) { return std::strerror(err < 0 ? -err : err); }

struct Mapping {
  void* addr = nullptr;
  size_t len = 0;
};

// Maps one ring of an existing socket (the kernel keeps its indices) and sets up libxdp's view
// of it as xsk_socket__create does: a consumer starts at what is there, a producer may fill all
// that the kernel has not taken.
template <typename Ring>
Status MapRing(int fd, uint64_t pgoff, const xdp_ring_offset& off, uint32_t entries, size_t entry_size, bool produces,
               Ring* ring, Mapping* m, const std::string& what) {
  const size_t len = off.desc + size_t{entries} * entry_size;
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, static_cast<off_t>(pgoff));
  if (p == MAP_FAILED) {
    int err = errno;
    return MakeError(err, what + ": mapping a ring of the socket handed over: " + ErrnoText(err));
  }
  *m = Mapping{p, len};
  auto* base = static_cast<uint8_t*>(p);
  ring->mask = entries - 1;
  ring->size = entries;
  ring->producer = reinterpret_cast<uint32_t*>(base + off.producer);
  ring->consumer = reinterpret_cast<uint32_t*>(base + off.consumer);
  ring->flags = reinterpret_cast<uint32_t*>(base + off.flags);
  ring->ring = base + off.desc;
  ring->cached_prod = __atomic_load_n(ring->producer, __ATOMIC_ACQUIRE);
  ring->cached_cons = __atomic_load_n(ring->consumer, __ATOMIC_ACQUIRE) + (produces ? entries : 0);
  return Ok();
}

uint32_t RingSize(uint32_t frames, size_t sockets) { return std::bit_ceil(frames / (2 * static_cast<uint32_t>(sockets))); }

// Whether `h` is what an AfXdpIo of these frames and queues would hand over.
bool SameLayout(const AfXdpHandover& h, uint32_t frames, const std::vector<XdpProgram::Iface>& ifaces,
                const std::vector<AfXdpQueue>& queues) {
  if (h.frames != frames || h.sockets.size() != queues.size() || h.ring_size != RingSize(frames, queues.size())) {
    return false;
  }
  for (size_t i = 0; i < queues.size(); ++i) {
    if (h.sockets[i].ifindex != ifaces[queues[i].iface].ifindex || h.sockets[i].queue != queues[i].queue) return false;
  }
  return true;
}

int DupFd(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 3); }

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

struct AfXdpIo::Socket {
  xsk_socket* xsk = nullptr;  // null for a socket handed over by another process
  Mapping maps[4];            // such a socket's rings (rx, tx, fill, completion)
  xsk_ring_cons rx{};
  xsk_ring_prod tx{};
  xsk_ring_prod fill{};
  xsk_ring_cons comp{};
  std::string name;
  uint32_t ifindex = 0;
  uint32_t queue = 0;
  int fd = -1;
  uint32_t tx_outstanding = 0;  // descriptors submitted to tx and not yet completed
  bool zero_copy = false;
};

Result<std::unique_ptr<AfXdpIo>> AfXdpIo::Open(const AfXdpOptions& o) {
  // The descriptors handed over are this call's from here: closed on every error below.
  AfXdpHandover adopted;
  if (o.adopt) adopted = std::exchange(*o.adopt, AfXdpHandover{});
  struct CloseOnError {
    AfXdpHandover& h;
    ~CloseOnError() { h.Close(); }
  } close_on_error{adopted};
  if (o.ifaces.empty()) return MakeError(EINVAL, "AF_XDP: no interface given");
  if (o.ifaces.size() > IPVSD_XDP_MAX_IFACES) {
    return MakeError(EINVAL, "AF_XDP: " + std::to_string(o.ifaces.size()) + " interfaces, at most " +
                                 std::to_string(IPVSD_XDP_MAX_IFACES));
  }
  std::vector<AfXdpQueue> queues = o.queues;
  if (queues.empty()) {
    for (uint32_t i = 0; i < o.ifaces.size(); ++i) queues.push_back(AfXdpQueue{i, 0});
  }
  if (queues.size() >= kNoSocket) {
    return MakeError(EINVAL, "AF_XDP: " + std::to_string(queues.size()) + " sockets in one worker, at most " +
                                 std::to_string(kNoSocket - 1));
  }
  for (const AfXdpQueue& q : queues) {
    if (q.iface >= o.ifaces.size()) return MakeError(EINVAL, "AF_XDP: a socket for an interface not given");
    if (q.queue >= IPVSD_XDP_MAX_QUEUES) {
      return MakeError(EINVAL, "AF_XDP: interface '" + o.ifaces[q.iface] + "' queue " + std::to_string(q.queue) +
                                   ", at most " + std::to_string(IPVSD_XDP_MAX_QUEUES - 1));
    }
  }
  if (o.frames < kMinFrames || o.frames > kMaxFrames) {
    return MakeError(EINVAL, "AF_XDP: " + std::to_string(o.frames) + " UMEM frames, expected " +
                                 std::to_string(kMinFrames) + ".." + std::to_string(kMaxFrames));
  }
  std::vector<XdpProgram::Iface> ifaces;
  for (const std::string& name : o.ifaces) {
    if (std::count(o.ifaces.begin(), o.ifaces.end(), name) > 1) {
      return MakeError(EINVAL, "AF_XDP: interface '" + name + "' given twice");
    }
    uint32_t ifindex = if_nametoindex(name.c_str());
    if (ifindex == 0) {
      int err = errno;
      return MakeError(err, "AF_XDP: interface '" + name + "': looking up its index: " + ErrnoText(err));
    }
    ifaces.push_back(XdpProgram::Iface{name, ifindex});
  }
  Result<std::shared_ptr<XdpProgram>> program = XdpProgram::Acquire(ifaces, o.mode);
  if (!program) return program.error();
  if (o.adopt && !SameLayout(adopted, o.frames, ifaces, queues)) {
    return MakeError(EINVAL, "AF_XDP: the sockets handed over are for other queues or another UMEM size than " +
                                 std::to_string(queues.size()) + " queue(s) and " + std::to_string(o.frames) + " frames");
  }
  std::unique_ptr<AfXdpIo> io(new AfXdpIo());
  io->program_ = std::move(*program);
  if (Status s = io->Init(o, ifaces, queues, std::exchange(adopted.umem_fd, -1)); !s) return s.error();
  if (Status s = o.adopt ? io->AdoptSockets(adopted, queues) : io->CreateSockets(queues); !s) {
    return s.error();
  }
  return io;
}

void AfXdpIo::DetachStale(const std::vector<std::string>& ifaces) { XdpProgram::DetachStale(ifaces); }

Status AfXdpIo::Init(const AfXdpOptions& o, const std::vector<XdpProgram::Iface>& ifaces,
                     const std::vector<AfXdpQueue>& queues, int umem_fd) {
  num_sockets_ = static_cast<uint32_t>(queues.size());
  frames_ = o.frames;
  // Half of the frames stock the fill rings; the other half cover frames in the rx rings, in
  // the worker's hands, in the tx rings and awaiting completion.
  fill_target_ = o.frames / (2 * num_sockets_);
  ring_size_ = RingSize(o.frames, num_sockets_);
  sockets_ = std::make_unique<Socket[]>(num_sockets_);
  per_socket_.assign(num_sockets_, 0);
  for (uint32_t i = 0; i < num_sockets_; ++i) {
    Socket& s = sockets_[i];
    s.name = ifaces[queues[i].iface].name;
    s.ifindex = ifaces[queues[i].iface].ifindex;
    s.queue = queues[i].queue;
  }

  umem_size_ = size_t{o.frames} * kChunkSize;
  // A memfd rather than anonymous memory, so that a successor can map the same UMEM (HandOver).
  umem_fd_ = umem_fd;
  if (umem_fd_ < 0) {
    umem_fd_ = memfd_create("ipvsd-umem", MFD_CLOEXEC);
    if (umem_fd_ >= 0 && ftruncate(umem_fd_, static_cast<off_t>(umem_size_)) != 0) CloseFd(umem_fd_);
  }
  void* area = umem_fd_ < 0 ? MAP_FAILED
                            : mmap(nullptr, umem_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, umem_fd_, 0);
  if (area == MAP_FAILED) {
    int err = errno;
    return MakeError(err, "AF_XDP: mapping " + std::to_string(umem_size_ >> 20) + " MiB of UMEM: " + ErrnoText(err));
  }
  umem_area_ = static_cast<uint8_t*>(area);
  return Ok();
}

Status AfXdpIo::CreateSockets(const std::vector<AfXdpQueue>& queues) {
  xsk_umem_config umem_config{};
  umem_config.fill_size = ring_size_;
  umem_config.comp_size = ring_size_;
  umem_config.frame_size = kChunkSize;
  umem_config.frame_headroom = 0;
  umem_config.flags = 0;
  if (int err = xsk_umem__create(&umem_, umem_area_, umem_size_, &sockets_[0].fill, &sockets_[0].comp, &umem_config)) {
    umem_ = nullptr;
    return MakeError(-err, "AF_XDP: registering the UMEM (" + std::to_string(frames_) + " frames): " + ErrnoText(err));
  }
  free_frames_.reserve(frames_);
  for (uint32_t i = frames_; i-- > 0;) free_frames_.push_back(uint64_t{i} * kChunkSize);

  for (uint32_t i = 0; i < num_sockets_; ++i) {
    Socket& s = sockets_[i];
    const uint32_t slot = queues[i].iface;
    const std::string where = "AF_XDP: interface '" + s.name + "' queue " + std::to_string(s.queue) + ": ";
    xsk_socket_config config{};
    config.rx_size = ring_size_;
    config.tx_size = ring_size_;
    // ipvsd's own program is attached; libxdp must not load its default one.
    config.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
    config.xdp_flags = 0;
    // Zero-copy where the driver offers it, copy mode otherwise (the kernel falls back by
    // itself without XDP_ZEROCOPY); the skb-mode program can only feed copy-mode sockets.
    config.bind_flags = XDP_USE_NEED_WAKEUP | (program_->native(slot) ? 0 : XDP_COPY);
    int err = xsk_socket__create_shared(&s.xsk, s.name.c_str(), s.queue, umem_, &s.rx, &s.tx, &s.fill, &s.comp, &config);
    // The socket of a process that just exited (a takeover, a restart after a kill) may hold
    // the queue a moment longer: the kernel lets it go once that process's memory is released.
    for (int wait_ms = 0; err == -EBUSY && wait_ms < kBusyQueueWaitMs; wait_ms += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      err = xsk_socket__create_shared(&s.xsk, s.name.c_str(), s.queue, umem_, &s.rx, &s.tx, &s.fill, &s.comp, &config);
    }
    if (err) {
      s.xsk = nullptr;
      std::string hint = err == -EINVAL ? " (is the queue index below the interface's queue count?)" : "";
      return MakeError(-err, where + "creating the AF_XDP socket: " + ErrnoText(err) + hint);
    }
    s.fd = xsk_socket__fd(s.xsk);
    if (Status r = Register(s, slot); !r) return r;
  }
  return Ok();
}

Status AfXdpIo::AdoptSockets(AfXdpHandover& from, const std::vector<AfXdpQueue>& queues) {
  // First, as registering a socket stocks its fill ring from them.
  free_frames_.reserve(frames_);
  for (uint64_t chunk : from.free_frames) {
    if (chunk % kChunkSize == 0 && chunk < umem_size_) free_frames_.push_back(chunk);
  }
  for (uint32_t i = 0; i < num_sockets_; ++i) {
    Socket& s = sockets_[i];
    s.fd = std::exchange(from.sockets[i].fd, -1);
    const std::string where = "AF_XDP: interface '" + s.name + "' queue " + std::to_string(s.queue);
    xdp_mmap_offsets off{};
    socklen_t len = sizeof off;
    if (getsockopt(s.fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len) != 0) {
      int err = errno;
      return MakeError(err, where + ": reading the ring offsets of the socket handed over: " + ErrnoText(err));
    }
    if (Status r = MapRing(s.fd, XDP_PGOFF_RX_RING, off.rx, ring_size_, sizeof(xdp_desc), false, &s.rx, &s.maps[0], where);
        !r) {
      return r;
    }
    if (Status r = MapRing(s.fd, XDP_PGOFF_TX_RING, off.tx, ring_size_, sizeof(xdp_desc), true, &s.tx, &s.maps[1], where);
        !r) {
      return r;
    }
    if (Status r = MapRing(s.fd, XDP_UMEM_PGOFF_FILL_RING, off.fr, ring_size_, sizeof(uint64_t), true, &s.fill,
                           &s.maps[2], where);
        !r) {
      return r;
    }
    if (Status r = MapRing(s.fd, XDP_UMEM_PGOFF_COMPLETION_RING, off.cr, ring_size_, sizeof(uint64_t), false, &s.comp,
                           &s.maps[3], where);
        !r) {
      return r;
    }
    // Transmitted and not yet reaped: the indices count from the socket's creation.
    s.tx_outstanding = *s.tx.producer - *s.comp.consumer;
    if (Status r = Register(s, queues[i].iface); !r) return r;
  }
  return Ok();
}

Status AfXdpIo::Register(Socket& s, uint32_t slot) {
  xdp_options options{};
  socklen_t len = sizeof(options);
  if (getsockopt(s.fd, SOL_XDP, XDP_OPTIONS, &options, &len) == 0) s.zero_copy = options.flags & XDP_OPTIONS_ZEROCOPY;
  if (Status r = program_->RegisterSocket(slot, s.queue, s.fd); !r) return r;
  Refill(s);
  return Ok();
}

Result<AfXdpHandover> AfXdpIo::HandOver() const {
  AfXdpHandover h;
  h.frames = frames_;
  h.ring_size = ring_size_;
  h.free_frames = free_frames_;
  h.umem_fd = DupFd(umem_fd_);
  bool ok = h.umem_fd >= 0;
  for (uint32_t i = 0; i < num_sockets_; ++i) {
    const Socket& s = sockets_[i];
    h.sockets.push_back(AfXdpHandover::Socket{s.ifindex, s.queue, DupFd(s.fd)});
    ok = ok && h.sockets.back().fd >= 0;
  }
  if (!ok) {
    int err = errno;
    h.Close();
    return MakeError(err, "AF_XDP: duplicating the descriptors to hand over: " + ErrnoText(err));
  }
  return h;
}

AfXdpIo::~AfXdpIo() {
  // Closing a socket removes it from the XSKMAP; the UMEM goes once no socket uses it.
  for (uint32_t i = 0; sockets_ && i < num_sockets_; ++i) {
    Socket& s = sockets_[i];
    if (s.xsk) {
      xsk_socket__delete(s.xsk);
      continue;
    }
    for (const Mapping& m : s.maps) {
      if (m.addr) munmap(m.addr, m.len);
    }
    CloseFd(s.fd);
  }
  if (umem_) xsk_umem__delete(umem_);
  if (umem_area_) munmap(umem_area_, umem_size_);
  CloseFd(umem_fd_);
  program_.reset();
}

size_t AfXdpIo::Receive(std::span<net::Frame> frames) {
  size_t n = 0;
  for (uint32_t k = 0; k < num_sockets_ && n < frames.size(); ++k) {
    Socket& s = sockets_[(rx_next_ + k) % num_sockets_];
    uint32_t idx = 0;
    uint32_t got = xsk_ring_cons__peek(&s.rx, static_cast<uint32_t>(frames.size() - n), &idx);
    for (uint32_t j = 0; j < got; ++j) {
      const xdp_desc* desc = xsk_ring_cons__rx_desc(&s.rx, idx + j);
      uint64_t chunk = desc->addr & kChunkMask;
      net::Frame& f = frames[n++];
      f.buffer = umem_area_ + chunk;
      f.offset = static_cast<uint32_t>(desc->addr - chunk);
      f.len = desc->len;
      f.capacity = kChunkSize;
      f.ifindex = s.ifindex;
      f.mark = 0;
      f.cookie = chunk;
    }
    if (got) xsk_ring_cons__release(&s.rx, got);
  }
  rx_next_ = rx_next_ + 1 == num_sockets_ ? 0 : rx_next_ + 1;
  for (uint32_t i = 0; i < num_sockets_; ++i) {
    ReapCompletions(sockets_[i]);
    Refill(sockets_[i]);
  }
  Add(counters_.rx, n);
  return n;
}

void AfXdpIo::Send(std::span<const net::Frame> frames) {
  while (!frames.empty()) {
    const size_t burst = std::min<size_t>(frames.size(), net::kMaxBurst);
    std::span<const net::Frame> part = frames.first(burst);
    frames = frames.subspan(burst);

    uint8_t target[net::kMaxBurst];
    uint32_t* per_socket = per_socket_.data();
    std::fill(per_socket_.begin(), per_socket_.end(), 0);
    for (size_t i = 0; i < part.size(); ++i) {
      target[i] = kNoSocket;
      const net::Frame& f = part[i];
      const bool fits = f.len != 0 && f.offset + f.len <= kChunkSize;
      // The first socket of the interface transmits: any of its queues may.
      for (uint32_t k = 0; fits && k < num_sockets_; ++k) {
        if (sockets_[k].ifindex == f.ifindex) {
          target[i] = static_cast<uint8_t>(k);
          ++per_socket[k];
          break;
        }
      }
      if (target[i] == kNoSocket) {
        free_frames_.push_back(f.cookie & kChunkMask);
        Add(counters_.tx_unsendable, 1);
      }
    }
    for (uint32_t k = 0; k < num_sockets_; ++k) {
      if (per_socket[k] == 0) continue;
      Socket& s = sockets_[k];
      uint32_t room = xsk_prod_nb_free(&s.tx, per_socket[k]);
      if (room < per_socket[k]) {
        // The kernel has not taken what we queued before: push it along, then look again.
        KickTx(s);
        room = xsk_prod_nb_free(&s.tx, per_socket[k]);
      }
      uint32_t take = std::min(room, per_socket[k]);
      uint32_t idx = 0;
      if (take) xsk_ring_prod__reserve(&s.tx, take, &idx);
      uint32_t queued = 0;
      for (size_t i = 0; i < part.size(); ++i) {
        if (target[i] != k) continue;
        const net::Frame& f = part[i];
        if (queued < take) {
          xdp_desc* desc = xsk_ring_prod__tx_desc(&s.tx, idx + queued++);
          desc->addr = (f.cookie & kChunkMask) + f.offset;
          desc->len = f.len;
          desc->options = 0;
        } else {
          free_frames_.push_back(f.cookie & kChunkMask);
        }
      }
      if (take) {
        xsk_ring_prod__submit(&s.tx, take);
        s.tx_outstanding += take;
        Add(counters_.tx, take);
        if (xsk_ring_prod__needs_wakeup(&s.tx)) KickTx(s);
      }
      if (take < per_socket[k]) Add(counters_.tx_ring_full, per_socket[k] - take);
    }
  }
  for (uint32_t k = 0; k < num_sockets_; ++k) ReapCompletions(sockets_[k]);
}

void AfXdpIo::Pass(std::span<const net::Frame> frames) {
  Recycle(frames);
  Add(counters_.passed_dropped, frames.size());
}

void AfXdpIo::Drop(std::span<const net::Frame> frames) {
  Recycle(frames);
  Add(counters_.dropped, frames.size());
}

void AfXdpIo::WaitForFrames(int timeout_ms, int wake_fd) {
  std::vector<pollfd>& fds = pollfds_;
  fds.clear();
  for (uint32_t i = 0; i < num_sockets_; ++i) fds.push_back(pollfd{sockets_[i].fd, POLLIN, 0});
  fds.push_back(pollfd{wake_fd, POLLIN, 0});  // poll ignores a negative fd
  poll(fds.data(), fds.size(), timeout_ms);
}

void AfXdpIo::Recycle(std::span<const net::Frame> frames) {
  for (const net::Frame& f : frames) free_frames_.push_back(f.cookie & kChunkMask);
}

void AfXdpIo::Refill(Socket& s) {
  uint32_t stocked = ring_size_ - xsk_prod_nb_free(&s.fill, ring_size_);
  if (stocked >= fill_target_) return;
  uint32_t want = fill_target_ - stocked;
  if (free_frames_.size() < want) {
    Add(counters_.fill_ring_empty, 1);
    want = static_cast<uint32_t>(free_frames_.size());
    if (want == 0) return;
  }
  uint32_t idx = 0;
  if (xsk_ring_prod__reserve(&s.fill, want, &idx) != want) return;
  for (uint32_t i = 0; i < want; ++i) {
    *xsk_ring_prod__fill_addr(&s.fill, idx + i) = free_frames_.back();
    free_frames_.pop_back();
  }
  xsk_ring_prod__submit(&s.fill, want);
  // Zero-copy drivers sleep on an empty fill ring until told; copy mode never sets the flag.
  if (xsk_ring_prod__needs_wakeup(&s.fill)) recvfrom(s.fd, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
}

void AfXdpIo::ReapCompletions(Socket& s) {
  if (s.tx_outstanding == 0) return;
  // Descriptors still in the tx ring wait for a kick (copy mode transmits only from sendto).
  if (xsk_prod_nb_free(&s.tx, ring_size_) < ring_size_ && xsk_ring_prod__needs_wakeup(&s.tx)) KickTx(s);
  uint32_t idx = 0;
  uint32_t done = xsk_ring_cons__peek(&s.comp, s.tx_outstanding, &idx);
  for (uint32_t i = 0; i < done; ++i) free_frames_.push_back(*xsk_ring_cons__comp_addr(&s.comp, idx + i) & kChunkMask);
  if (done) {
    xsk_ring_cons__release(&s.comp, done);
    s.tx_outstanding -= done;
  }
}

void AfXdpIo::KickTx(Socket& s) {
  for (int i = 0; i < kMaxTxKicks; ++i) {
    if (sendto(s.fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) return;
    // EAGAIN: the kernel's per-call budget ran out, or it could not get an skb; EBUSY: the
    // device queue is busy. Anything else (ENETDOWN, ENOBUFS, ENXIO) will not improve now.
    if (errno != EAGAIN && errno != EBUSY && errno != EINTR) return;
    if (xsk_prod_nb_free(&s.tx, ring_size_) == ring_size_) return;
  }
}

Status AfXdpIo::SetFilter(const TrafficFilter& filter) { return program_->SetFilter(filter); }
Status AfXdpIo::UpdateFilter(const TrafficFilterChange& change) { return program_->UpdateFilter(change); }

std::string AfXdpIo::mode_description() const {
  uint32_t zero_copy = 0;
  for (uint32_t i = 0; i < num_sockets_; ++i) zero_copy += sockets_[i].zero_copy;
  const char* copy = zero_copy == num_sockets_ ? "zero-copy" : zero_copy == 0 ? "copy-mode" : "zero-copy+copy-mode";
  return program_->mode_name() + " " + copy;
}

AfXdpCounters AfXdpIo::counters() const {
  AfXdpCounters c;
  c.rx = counters_.rx.load(std::memory_order_relaxed);
  c.tx = counters_.tx.load(std::memory_order_relaxed);
  c.passed_dropped = counters_.passed_dropped.load(std::memory_order_relaxed);
  c.dropped = counters_.dropped.load(std::memory_order_relaxed);
  c.tx_ring_full = counters_.tx_ring_full.load(std::memory_order_relaxed);
  c.tx_unsendable = counters_.tx_unsendable.load(std::memory_order_relaxed);
  c.fill_ring_empty = counters_.fill_ring_empty.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < num_sockets_; ++i) {
    xdp_statistics stats{};
    socklen_t len = sizeof(stats);
    if (getsockopt(sockets_[i].fd, SOL_XDP, XDP_STATISTICS, &stats, &len) != 0) continue;
    c.kernel_rx_dropped += stats.rx_dropped + stats.rx_ring_full;
    c.kernel_fill_empty += stats.rx_fill_ring_empty_descs;
    c.kernel_invalid_descs += stats.rx_invalid_descs + stats.tx_invalid_descs;
  }
  return c;
}

}  // namespace ipvsd::io
