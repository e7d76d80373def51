// File: io/af_packet/af_packet_io.cc
//
// Ring slot layout (TPACKET_V2): tpacket2_hdr, sockaddr_ll, then PACKET_RESERVE bytes, then
// the Ethernet frame at tp_mac. A Frame's buffer starts right after sockaddr_ll, so the
// worker may push headers into the reserve but can never overwrite the slot's header. On
// transmit the kernel takes the frame at TPACKET_ALIGN(sizeof(tpacket2_hdr)).
#include "io/af_packet/af_packet_io.h"

#include <arpa/inet.h>
#include <endian.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "io/af_packet/nft_table.h"
#include "net/headers.h"

namespace ipvsd::io {
namespace {

// Where a Frame's buffer begins inside a slot: past tpacket2_hdr and sockaddr_ll.
constexpr uint32_t kSlotDataStart = 64;
static_assert(kSlotDataStart >= TPACKET2_HDRLEN);
// Headroom asked of the kernel: kFrameHeadroom plus room to put back a VLAN tag that the
// driver stripped, so that the worker always gets its full headroom.
constexpr uint32_t kReserve = net::kFrameHeadroom + 8;
constexpr uint32_t kVlanLen = 4;
// Where the kernel takes a transmitted frame from.
constexpr uint32_t kTxDataOffset = TPACKET_ALIGN(sizeof(tpacket2_hdr));
constexpr uint32_t kMinFrameSize = 2048;
constexpr uint32_t kBlockSize = 1u << 16;
// The kernel's struct virtio_net_hdr, which packet sockets use little-endian
// (<linux/virtio_net.h> does not compile as C++: a field there is named "class").
struct VnetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(VnetHeader) == 10);
constexpr uint8_t kVnetNeedsCsum = 1;
constexpr uint8_t kVnetGsoNone = 0, kVnetGsoTcpV4 = 1, kVnetGsoTcpV6 = 4, kVnetGsoEcn = 0x80;
constexpr uint32_t kVnetLen = sizeof(VnetHeader);
// The largest IP packet an aggregate can be (its total length field is 16 bits).
constexpr uint32_t kMaxAggregate = 65535;

// Classic BPF: only IPv4, IPv6 and VLAN-tagged frames reach the ring (ARP and the rest stay
// the kernel's alone), so the rings are not filled with what the worker would only pass.
// A driver-stripped VLAN tag is not in the data, so [12] is then the inner EtherType.
constexpr sock_filter kIpOnly[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 4, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 3, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_8021Q, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_8021AD, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, 0),
    BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
};

Error SysError(const std::string& iface, const std::string& step) {
  const int err = errno;
  return MakeError(err, "af_packet: interface " + iface + ": " + step + ": " + std::strerror(err));
}

template <typename T>
bool SetOpt(int fd, int level, int name, const T& value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

// Puts back the 802.1Q/802.1ad tag the driver moved into the slot header, so that the worker
// sees the frame as it was on the wire.
void InsertVlan(net::Frame& f, uint16_t tpid, uint16_t tci) {
  f.Push(kVlanLen);
  uint8_t* p = f.data();
  std::memmove(p, p + kVlanLen, 2 * sizeof(net::MacAddr));
  net::HeaderAt<net::Be16>(p + 2 * sizeof(net::MacAddr))->set(tpid);
  net::HeaderAt<net::Be16>(p + 2 * sizeof(net::MacAddr) + 2)->set(tci);
}

// Takes a received frame's offload state from the virtio-net header in front of it; false for
// an aggregate ipvsd does not carry (UDP GSO: only TCP aggregates are cut by gso_size alone).
bool ReadVnetHeader(const uint8_t* p, net::Frame* f) {
  VnetHeader h;
  std::memcpy(&h, p, sizeof h);
  const uint8_t type = h.gso_type & ~kVnetGsoEcn;
  if (type != kVnetGsoNone) {
    if (type != kVnetGsoTcpV4 && type != kVnetGsoTcpV6) return false;
    f->gso_type = h.gso_type;
    f->gso_size = le16toh(h.gso_size);
  }
  f->csum_partial = h.flags & kVnetNeedsCsum;
  return true;
}

// The virtio-net header a transmitted frame carries: its partial checksum and aggregate.
VnetHeader VnetHeaderOf(const net::Frame& f) {
  VnetHeader h{};
  if (f.csum_partial) {
    h.flags = kVnetNeedsCsum;
    h.csum_start = htole16(f.csum_start);
    h.csum_offset = htole16(f.csum_offset);
    h.hdr_len = htole16(static_cast<uint16_t>(f.csum_start + f.csum_offset + 2));
  }
  if (f.gso_size) {
    h.gso_type = f.gso_type;
    h.gso_size = htole16(f.gso_size);
  }
  return h;
}

}  // namespace

Result<std::unique_ptr<AfPacketIo>> AfPacketIo::Open(const AfPacketOptions& options) {
  if (options.ifaces.empty()) return MakeError(EINVAL, "af_packet: no interface given");
  if (options.frames == 0) return MakeError(EINVAL, "af_packet: frames must be positive");
  std::unique_ptr<AfPacketIo> io(new AfPacketIo());
  // Reserved up front: OpenIface fills the element in place, and the destructor closes
  // whatever a failed Open had opened so far.
  io->gso_ = options.gso;
  io->ifaces_.reserve(options.ifaces.size());
  for (const std::string& name : options.ifaces) {
    io->ifaces_.emplace_back();
    if (Status s = io->OpenIface(name, options, &io->ifaces_.back()); !s) return s.error();
    io->pollfds_.push_back(pollfd{io->ifaces_.back().fd, POLLIN, 0});
  }
  io->pollfds_.push_back(pollfd{-1, POLLIN, 0});  // WaitForFrames' wake_fd
  auto table = NftTable::Acquire(options.ifaces);
  if (!table) return table.error();
  io->nft_ = std::move(*table);
  return Result<std::unique_ptr<AfPacketIo>>(std::move(io));
}

Status AfPacketIo::OpenIface(const std::string& name, const AfPacketOptions& options, Iface* out) {
  out->name = name;
  out->ifindex = if_nametoindex(name.c_str());
  if (out->ifindex == 0) return SysError(name, "looking up the interface");
  // Protocol 0: the socket receives nothing until bind(), after the rings and the filter.
  out->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (out->fd < 0) return SysError(name, "creating the packet socket");
  const int fd = out->fd;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) return SysError(name, "reading the MTU");
  // A slot holds the headers, the reserve, a VLAN tag and a full-MTU frame (with --gso: a
  // virtio-net header and a whole aggregate).
  const uint32_t packet = options.gso ? kMaxAggregate : static_cast<uint32_t>(ifr.ifr_mtu);
  const uint32_t need = kSlotDataStart + 16 + kReserve + (options.gso ? kVnetLen : 0) + kVlanLen +
                        sizeof(net::EthHdr) + kVlanLen + packet;
  out->frame_size = kMinFrameSize;
  while (out->frame_size < need) out->frame_size <<= 1;
  const uint32_t block_size = std::max(kBlockSize, out->frame_size);
  const uint32_t per_block = block_size / out->frame_size;
  const uint32_t blocks = (options.frames + per_block - 1) / per_block;
  out->frame_count = blocks * per_block;
  out->rx_taken.assign(out->frame_count, 0);

  if (!SetOpt(fd, SOL_PACKET, PACKET_VERSION, int{TPACKET_V2})) return SysError(name, "selecting TPACKET_V2");
  if (options.gso && !SetOpt(fd, SOL_PACKET, PACKET_VNET_HDR, int{1})) {
    return SysError(name, "enabling virtio-net headers (PACKET_VNET_HDR)");
  }
  if (!SetOpt(fd, SOL_PACKET, PACKET_RESERVE, kReserve)) return SysError(name, "setting PACKET_RESERVE");
  // A malformed tx frame is skipped instead of stopping the ring.
  if (!SetOpt(fd, SOL_PACKET, PACKET_LOSS, int{1})) return SysError(name, "setting PACKET_LOSS");
  // Transmit straight to the driver: ipvsd forwards, the qdisc layer only adds cost.
  if (!SetOpt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, int{1})) return SysError(name, "setting PACKET_QDISC_BYPASS");
  // Our own transmissions must not come back as received frames.
  if (!SetOpt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, int{1})) {
    return SysError(name, "setting PACKET_IGNORE_OUTGOING");
  }
  const sock_fprog prog{static_cast<unsigned short>(std::size(kIpOnly)), const_cast<sock_filter*>(kIpOnly)};
  if (!SetOpt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog)) return SysError(name, "attaching the IP-only filter");
  const tpacket_req req{block_size, blocks, out->frame_size, out->frame_count};
  if (!SetOpt(fd, SOL_PACKET, PACKET_RX_RING, req)) return SysError(name, "creating the rx ring");
  // With --gso, frames leave by sendmmsg() straight from their rx slots (SendCopies): no tx ring.
  if (!options.gso && !SetOpt(fd, SOL_PACKET, PACKET_TX_RING, req)) return SysError(name, "creating the tx ring");
  out->ring_len = (options.gso ? 1 : 2) * size_t{block_size} * blocks;
  void* ring = mmap(nullptr, out->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (ring == MAP_FAILED) return SysError(name, "mapping the rings");
  out->ring = static_cast<uint8_t*>(ring);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(out->ifindex);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) return SysError(name, "binding");
  if (options.fanout_group) {
    const uint32_t id = (options.fanout_group + out->ifindex) & 0xffff;
    if (!SetOpt(fd, SOL_PACKET, PACKET_FANOUT, static_cast<int>(id | (PACKET_FANOUT_HASH << 16)))) {
      return SysError(name, "joining fanout group " + std::to_string(id));
    }
  }
  return Ok();
}

AfPacketIo::~AfPacketIo() {
  for (Iface& i : ifaces_) {
    if (i.ring) munmap(i.ring, i.ring_len);
    if (i.fd >= 0) close(i.fd);
  }
}

size_t AfPacketIo::Receive(std::span<net::Frame> frames) {
  size_t n = 0;
  const size_t count = ifaces_.size();
  for (size_t k = 0; k < count && n < frames.size(); ++k) {
    const size_t idx = (next_iface_ + k) % count;
    Iface& ifc = ifaces_[idx];
    while (n < frames.size()) {
      const uint32_t slot_index = ifc.rx_head;
      uint8_t* slot = ifc.RxSlot(slot_index);
      auto* hdr = reinterpret_cast<tpacket2_hdr*>(slot);
      const uint32_t status = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);
      if (!(status & TP_STATUS_USER) || ifc.rx_taken[slot_index]) break;
      ifc.rx_taken[slot_index] = 1;
      ifc.rx_head = slot_index + 1 == ifc.frame_count ? 0 : slot_index + 1;
      net::Frame& f = frames[n];
      f.buffer = slot + kSlotDataStart;
      f.capacity = ifc.frame_size - kSlotDataStart;
      f.offset = hdr->tp_mac - kSlotDataStart;
      f.len = hdr->tp_snaplen;
      f.ifindex = ifc.ifindex;
      f.mark = 0;
      f.cookie = (uint64_t{idx} << 32) | slot_index;
      if (hdr->tp_snaplen < hdr->tp_len || hdr->tp_mac < kSlotDataStart + kReserve) {
        // Once, so that a user whose TCP stalls learns why; the counter has the rest.
        if (rx_truncated_.load(std::memory_order_relaxed) == 0) {
          Log(LogLevel::kWarning,
              "af_packet: %s: dropped a %u-byte frame larger than a ring slot (a TCP aggregate: TCP "
              "offloads or GRO on?); run ipvsd with --gso, or turn the offloads off (counted in rx_truncated)",
              ifc.name.c_str(), hdr->tp_len);
        }
        Bump(rx_truncated_);
        Release(f);
        continue;
      }
      // Someone else's frame, seen because the interface is promiscuous: not ours to forward
      // (the kernel drops it as well).
      const auto* from = reinterpret_cast<const sockaddr_ll*>(slot + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
      if (from->sll_pkttype == PACKET_OTHERHOST) {
        Bump(rx_other_host_);
        Release(f);
        continue;
      }
      f.gso_size = 0;
      f.gso_type = 0;
      f.csum_partial = false;
      if (gso_ && !ReadVnetHeader(slot + hdr->tp_mac - kVnetLen, &f)) {
        Bump(rx_gso_unsupported_);
        Release(f);
        continue;
      }
      if (status & TP_STATUS_VLAN_VALID) {
        InsertVlan(f, (status & TP_STATUS_VLAN_TPID_VALID) ? hdr->tp_vlan_tpid : uint16_t{ETH_P_8021Q},
                   hdr->tp_vlan_tci);
      }
      ++n;
    }
  }
  next_iface_ = count ? (next_iface_ + 1) % count : 0;
  if (n) Bump(rx_, n);
  return n;
}

void AfPacketIo::Release(const net::Frame& f) {
  Iface& ifc = ifaces_[f.cookie >> 32];
  const auto slot_index = static_cast<uint32_t>(f.cookie);
  ifc.rx_taken[slot_index] = 0;
  auto* hdr = reinterpret_cast<tpacket2_hdr*>(ifc.RxSlot(slot_index));
  __atomic_store_n(&hdr->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

AfPacketIo::Iface* AfPacketIo::IfaceOf(uint32_t ifindex) {
  for (Iface& i : ifaces_) {
    if (i.ifindex == ifindex) return &i;
  }
  return nullptr;
}

void AfPacketIo::Send(std::span<const net::Frame> frames) {
  if (gso_) {
    SendCopies(frames);
    return;
  }
  uint64_t sent = 0;
  for (const net::Frame& f : frames) {
    Iface* out = IfaceOf(f.ifindex);
    if (!out || f.len > out->frame_size - kTxDataOffset) {
      Bump(tx_errors_);
      Release(f);
      continue;
    }
    uint8_t* slot = out->TxSlot(out->tx_head);
    auto* hdr = reinterpret_cast<tpacket2_hdr*>(slot);
    if (__atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
      Bump(tx_ring_full_);
      Release(f);
      continue;
    }
    std::memcpy(slot + kTxDataOffset, f.data(), f.len);
    hdr->tp_len = f.len;
    __atomic_store_n(&hdr->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    out->tx_head = out->tx_head + 1 == out->frame_count ? 0 : out->tx_head + 1;
    out->tx_pending = true;
    ++sent;
    Release(f);
  }
  for (Iface& i : ifaces_) {
    if (!i.tx_pending) continue;
    i.tx_pending = false;
    // One kick per interface per burst; MSG_DONTWAIT: the kernel sends what is queued and
    // returns, the slots come back AVAILABLE as the driver frees the packets.
    if (sendto(i.fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN && errno != ENOBUFS) {
      Bump(tx_errors_);
    }
  }
  if (sent) Bump(tx_, sent);
}

// A tx ring's frames reach a veth peer as page references to the ring, which the veth copies
// (skb_copy_ubufs) after we have copied the frame into the ring: two copies of a 64 KB
// aggregate. sendmmsg() from the rx slot is one copy, by the kernel, into an skb that carries
// the aggregate on. One call per interface per burst, frames in order.
void AfPacketIo::SendCopies(std::span<const net::Frame> frames) {
  uint64_t sent = 0;
  for (Iface& ifc : ifaces_) {
    VnetHeader vnet[net::kMaxBurst];
    iovec iov[net::kMaxBurst][2];
    mmsghdr msgs[net::kMaxBurst];
    unsigned count = 0;
    for (const net::Frame& f : frames) {
      if (f.ifindex != ifc.ifindex || count == net::kMaxBurst) continue;
      vnet[count] = VnetHeaderOf(f);
      iov[count][0] = iovec{&vnet[count], kVnetLen};
      iov[count][1] = iovec{f.data(), f.len};
      msgs[count] = mmsghdr{};
      msgs[count].msg_hdr.msg_iov = iov[count];
      msgs[count].msg_hdr.msg_iovlen = 2;
      ++count;
    }
    for (unsigned done = 0; done < count;) {
      const int n = sendmmsg(ifc.fd, msgs + done, count - done, MSG_DONTWAIT);
      if (n > 0) {
        done += static_cast<unsigned>(n);
        sent += static_cast<uint64_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
        Bump(tx_ring_full_, count - done);  // the device queue is full: the rest is dropped
        break;
      } else {
        Bump(tx_errors_);  // this frame was refused (too big, malformed): skip it
        ++done;
      }
    }
  }
  for (const net::Frame& f : frames) {
    if (!IfaceOf(f.ifindex)) Bump(tx_errors_);
    Release(f);
  }
  if (sent) Bump(tx_, sent);
}

void AfPacketIo::Pass(std::span<const net::Frame> frames) {
  for (const net::Frame& f : frames) Release(f);
}

void AfPacketIo::Drop(std::span<const net::Frame> frames) {
  for (const net::Frame& f : frames) Release(f);
}

void AfPacketIo::WaitForFrames(int timeout_ms, int wake_fd) {
  // The last entry is kept for wake_fd (a negative fd is ignored by poll).
  pollfds_.back() = pollfd{wake_fd, POLLIN, 0};
  poll(pollfds_.data(), pollfds_.size(), timeout_ms);
}

Status AfPacketIo::SetFilter(const TrafficFilter& filter) { return nft_->SetFilter(filter); }
Status AfPacketIo::UpdateFilter(const TrafficFilterChange& change) { return nft_->UpdateFilter(change); }

AfPacketIo::Counters AfPacketIo::counters() {
  for (const Iface& i : ifaces_) {
    tpacket_stats st{};
    socklen_t len = sizeof st;
    // Reading resets the kernel's counters, hence the running total.
    if (getsockopt(i.fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
      rx_drops_.fetch_add(st.tp_drops, std::memory_order_relaxed);
    }
  }
  return Counters{rx_.load(std::memory_order_relaxed),           tx_.load(std::memory_order_relaxed),
                  tx_ring_full_.load(std::memory_order_relaxed), tx_errors_.load(std::memory_order_relaxed),
                  rx_truncated_.load(std::memory_order_relaxed), rx_other_host_.load(std::memory_order_relaxed),
                  rx_drops_.load(std::memory_order_relaxed),      rx_gso_unsupported_.load(std::memory_order_relaxed)};
}

}  // namespace ipvsd::io
