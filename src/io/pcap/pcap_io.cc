// File: io/pcap/pcap_io.cc
//
// A buffer is kFrameHeadroom bytes of headroom, then the frame as captured (snaplen bytes at
// most). The snapshot length is the largest frame the interfaces' MTUs allow plus two VLAN
// tags; a longer frame (a TCP aggregate, with offloads on) arrives truncated and is counted
// and dropped, as AF_PACKET without --gso drops it.
#include "io/pcap/pcap_io.h"

#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "net/headers.h"

namespace ipvsd::io {

class PcapPorts {
 public:
  struct Port {
    std::string name;
    uint32_t ifindex = 0;
    pcap_t* handle = nullptr;
    int fd = -1;  // pcap_get_selectable_fd, for poll
    // pcap_dispatch, pcap_inject and pcap_setfilter on one handle are not documented as safe
    // from several threads at once; the worker and the router's thread both use a handle.
    std::mutex mu;
  };

  ~PcapPorts() {
    for (Port& p : ports) {
      if (p.handle) pcap_close(p.handle);
    }
  }
  Port* Find(uint32_t ifindex) {
    for (Port& p : ports) {
      if (p.ifindex == ifindex) return &p;
    }
    return nullptr;
  }
  // One frame out of `ifindex`; false when there is no such port or the write failed.
  bool Inject(uint32_t ifindex, const uint8_t* data, size_t len) {
    Port* p = Find(ifindex);
    if (!p) return false;
    std::lock_guard lock(p->mu);
    return pcap_inject(p->handle, data, len) == static_cast<int>(len);
  }

  std::vector<Port> ports;  // sized once, never moved afterwards (Port holds a mutex)
};

namespace {

constexpr uint32_t kVlanTags = 8;
// ARP, and ICMPv6 Neighbor Solicitation (135) / Advertisement (136) without extension headers
// (RFC 4861 forbids none, but every stack sends them plain).
constexpr const char* kNeighbourFrames = "arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))";
// ICMP errors, which may quote a service's packet (the XDP program matches the quote; here the
// worker does, and passes the rest: they are rare).
constexpr const char* kIcmpErrors =
    "(icmp and (icmp[0] == 3 or icmp[0] == 4 or icmp[0] == 11 or icmp[0] == 12)) or "
    "(icmp6 and ip6[40] >= 1 and ip6[40] <= 4)";

const char* ProtocolName(uint8_t protocol) {
  switch (protocol) {
    case net::kProtoTcp: return "tcp";
    case net::kProtoUdp: return "udp";
    default: return "sctp";
  }
}

// "dst host A and tcp dst port P" (dir "dst"), or with port 0 "dst host A and tcp".
std::string Match(const L4Match& m, const char* dir) {
  const net::IpAddr addr{m.addr, m.family};
  std::string s = std::string("(") + dir + " host " + addr.ToString() + " and " + ProtocolName(m.protocol);
  if (m.port) s += std::string(" ") + dir + " port " + std::to_string(m.port);
  return s + ")";
}

uint32_t InterfaceMtu(const std::string& name) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return 1500;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const uint32_t mtu = ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? static_cast<uint32_t>(ifr.ifr_mtu) : 1500;
  close(fd);
  return mtu;
}

struct DispatchContext {
  PcapIo* io;
  net::Frame* frames;
  size_t count;
  size_t max;
  uint32_t ifindex;
};

}  // namespace

std::string PcapIo::FilterExpression(const AppliedFilter& filter) {
  std::string s = kNeighbourFrames;
  s += std::string(" or ") + kIcmpErrors;
  std::set<net::IpAddr> vips;
  for (const L4Match& m : filter.services) {
    s += " or " + Match(m, "dst");
    vips.insert(net::IpAddr{m.addr, m.family});
  }
  // Fragments carry no ports: those to a service address are ipvsd's to count and drop.
  for (const net::IpAddr& v : vips) {
    s += v.is_v6() ? " or (ip6 and ip6[6] == 44 and dst host " + v.ToString() + ")"
                   : " or (ip and ip[6:2] & 0x3fff != 0 and dst host " + v.ToString() + ")";
  }
  if (!filter.nat_sources.empty()) {
    std::string sources;
    for (const L4Match& m : filter.nat_sources) sources += (sources.empty() ? "" : " or ") + Match(m, "src");
    std::string locals;
    for (const net::IpAddr& a : filter.local_addrs) {
      locals += (locals.empty() ? "" : " or ") + ("dst host " + a.ToString());
    }
    s += " or ((" + sources + ")" + (locals.empty() ? "" : " and not (" + locals + ")") + ")";
  }
  return s;
}

Result<std::unique_ptr<PcapIo>> PcapIo::Open(const PcapOptions& options) {
  if (options.ifaces.empty()) return MakeError(EINVAL, "pcap: no interface given");
  if (options.buffers == 0) return MakeError(EINVAL, "pcap: buffers must be positive");
  std::unique_ptr<PcapIo> io(new PcapIo());
  io->ports_ = std::make_shared<PcapPorts>();
  io->ports_->ports = std::vector<PcapPorts::Port>(options.ifaces.size());
  uint32_t max_mtu = 0;
  for (const std::string& name : options.ifaces) max_mtu = std::max(max_mtu, InterfaceMtu(name));
  const int snaplen = static_cast<int>(sizeof(net::EthHdr) + kVlanTags + max_mtu);
  for (size_t i = 0; i < options.ifaces.size(); ++i) {
    PcapPorts::Port& port = io->ports_->ports[i];
    port.name = options.ifaces[i];
    port.ifindex = if_nametoindex(port.name.c_str());
    if (port.ifindex == 0) return MakeError(ENODEV, "pcap: interface " + port.name + " does not exist");
    char err[PCAP_ERRBUF_SIZE] = "";
    port.handle = pcap_create(port.name.c_str(), err);
    if (!port.handle) return MakeError(EINVAL, "pcap: " + port.name + ": " + err);
    pcap_t* p = port.handle;
    // Not promiscuous: a director receives what is addressed to it (its MAC, broadcast, the
    // multicast groups its kernel joined), as AF_XDP and AF_PACKET do.
    if (pcap_set_snaplen(p, snaplen) != 0 || pcap_set_promisc(p, 0) != 0 || pcap_set_immediate_mode(p, 1) != 0 ||
        pcap_set_buffer_size(p, options.kernel_buffer_bytes) != 0) {
      return MakeError(EINVAL, "pcap: " + port.name + ": setting the capture options: " + pcap_geterr(p));
    }
    if (const int rc = pcap_activate(p); rc < 0) {
      return MakeError(rc == PCAP_ERROR_PERM_DENIED ? EPERM : EINVAL,
                       "pcap: " + port.name + ": activating: " + pcap_statustostr(rc) + " " + pcap_geterr(p));
    }
    if (pcap_datalink(p) != DLT_EN10MB) return MakeError(EINVAL, "pcap: " + port.name + " is not an Ethernet interface");
    // Only what arrives: our own transmissions (and the kernel's) must not come back.
    if (pcap_setdirection(p, PCAP_D_IN) != 0) {
      return MakeError(EINVAL, "pcap: " + port.name + ": capturing inbound frames only: " + pcap_geterr(p));
    }
    if (pcap_setnonblock(p, 1, err) != 0) return MakeError(EINVAL, "pcap: " + port.name + ": non-blocking: " + err);
    port.fd = pcap_get_selectable_fd(p);
    if (port.fd < 0) return MakeError(EINVAL, "pcap: " + port.name + ": no selectable descriptor to wait on");
    io->pollfds_.push_back(pollfd{port.fd, POLLIN, 0});
  }
  io->pollfds_.push_back(pollfd{-1, POLLIN, 0});  // WaitForFrames' wake_fd
  io->buffer_size_ = net::kFrameHeadroom + static_cast<uint32_t>(snaplen);
  io->memory_.resize(size_t{io->buffer_size_} * options.buffers);
  for (uint32_t i = options.buffers; i-- > 0;) io->free_.push_back(i);
  std::lock_guard lock(io->filter_mu_);
  if (Status s = io->ApplyLocked(); !s) return s.error();
  return Result<std::unique_ptr<PcapIo>>(std::move(io));
}

PcapIo::~PcapIo() = default;

PcapIo::Injector PcapIo::injector() const {
  return [ports = ports_](uint32_t ifindex, std::span<const uint8_t> frame) {
    ports->Inject(ifindex, frame.data(), frame.size());
  };
}

void PcapIo::OnPacket(unsigned char* user, const pcap_pkthdr* h, const unsigned char* bytes) {
  auto* ctx = reinterpret_cast<DispatchContext*>(user);
  PcapIo* io = ctx->io;
  if (h->caplen >= sizeof(net::EthHdr)) {
    const uint16_t type = net::HeaderAt<net::EthHdr>(bytes)->ethertype.get();
    const bool neighbour = type == net::kEtherTypeArp ||
                           (type == net::kEtherTypeIpv6 && h->caplen > sizeof(net::EthHdr) + 40 &&
                            bytes[sizeof(net::EthHdr) + 6] == net::kProtoIcmpv6 &&
                            (bytes[sizeof(net::EthHdr) + 40] == 135 || bytes[sizeof(net::EthHdr) + 40] == 136));
    if (neighbour) {
      Bump(io->rx_neighbour_);
      if (io->neighbour_) io->neighbour_(ctx->ifindex, std::span<const uint8_t>(bytes, h->caplen));
      return;
    }
  }
  if (h->caplen < h->len) {
    if (io->rx_truncated_.load(std::memory_order_relaxed) == 0) {
      Log(LogLevel::kWarning,
          "pcap: dropped a %u-byte frame larger than the interface MTU (a TCP aggregate: TCP offloads or GRO on?); "
          "turn the offloads off (counted in rx_truncated)",
          h->len);
    }
    Bump(io->rx_truncated_);
    return;
  }
  // pcap_dispatch was asked for no more frames than there were free buffers.
  const uint32_t index = io->free_.back();
  io->free_.pop_back();
  net::Frame& f = ctx->frames[ctx->count++];
  f = net::Frame{};
  f.buffer = io->memory_.data() + size_t{index} * io->buffer_size_;
  f.capacity = io->buffer_size_;
  f.offset = net::kFrameHeadroom;
  f.len = h->caplen;
  f.ifindex = ctx->ifindex;
  f.cookie = index;
  std::memcpy(f.data(), bytes, h->caplen);
}

size_t PcapIo::Receive(std::span<net::Frame> frames) {
  std::vector<PcapPorts::Port>& ports = ports_->ports;
  DispatchContext ctx{this, frames.data(), 0, frames.size(), 0};
  for (size_t k = 0; k < ports.size(); ++k) {
    PcapPorts::Port& port = ports[(next_port_ + k) % ports.size()];
    const size_t room = std::min(ctx.max - ctx.count, free_.size());
    if (room == 0) {
      if (free_.empty()) Bump(rx_no_buffer_);
      break;
    }
    ctx.ifindex = port.ifindex;
    std::lock_guard lock(port.mu);
    pcap_dispatch(port.handle, static_cast<int>(room), OnPacket, reinterpret_cast<unsigned char*>(&ctx));
  }
  next_port_ = (next_port_ + 1) % ports.size();
  if (ctx.count) Bump(rx_, ctx.count);
  return ctx.count;
}

void PcapIo::Send(std::span<const net::Frame> frames) {
  uint64_t sent = 0;
  for (const net::Frame& f : frames) {
    if (ports_->Inject(f.ifindex, f.data(), f.len)) ++sent;
    else Bump(tx_errors_);
    Release(f);
  }
  if (sent) Bump(tx_, sent);
}

void PcapIo::Pass(std::span<const net::Frame> frames) {
  for (const net::Frame& f : frames) Release(f);
}

void PcapIo::Drop(std::span<const net::Frame> frames) {
  for (const net::Frame& f : frames) Release(f);
}

void PcapIo::WaitForFrames(int timeout_ms, int wake_fd) {
  // The last entry is kept for wake_fd (a negative fd is ignored by poll).
  pollfds_.back() = pollfd{wake_fd, POLLIN, 0};
  poll(pollfds_.data(), pollfds_.size(), timeout_ms);
}

Status PcapIo::SetFilter(const TrafficFilter& filter) {
  std::lock_guard lock(filter_mu_);
  applied_.Apply(applied_.ChangeTo(filter));
  return ApplyLocked();
}

Status PcapIo::UpdateFilter(const TrafficFilterChange& change) {
  std::lock_guard lock(filter_mu_);
  applied_.Apply(change);
  return ApplyLocked();
}

Status PcapIo::ApplyLocked() {
  const std::string expression = FilterExpression(applied_);
  for (PcapPorts::Port& port : ports_->ports) {
    std::lock_guard lock(port.mu);
    bpf_program program{};
    if (pcap_compile(port.handle, &program, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return MakeError(EINVAL, "pcap: " + port.name + ": compiling the filter: " + pcap_geterr(port.handle));
    }
    const int rc = pcap_setfilter(port.handle, &program);
    pcap_freecode(&program);
    if (rc != 0) return MakeError(EINVAL, "pcap: " + port.name + ": installing the filter: " + pcap_geterr(port.handle));
  }
  return Ok();
}

PcapIo::Counters PcapIo::counters() {
  Counters c{rx_.load(std::memory_order_relaxed),           tx_.load(std::memory_order_relaxed),
             tx_errors_.load(std::memory_order_relaxed),    rx_neighbour_.load(std::memory_order_relaxed),
             rx_truncated_.load(std::memory_order_relaxed), rx_no_buffer_.load(std::memory_order_relaxed)};
  for (PcapPorts::Port& port : ports_->ports) {
    pcap_stat st{};
    std::lock_guard lock(port.mu);
    if (pcap_stats(port.handle, &st) == 0) c.kernel_drops += st.ps_drop;
  }
  return c;
}

}  // namespace ipvsd::io
