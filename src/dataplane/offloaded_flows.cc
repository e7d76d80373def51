#include "dataplane/offloaded_flows.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "core/timeouts.h"
#include "fwd/tun.h"
#include "net/encap.h"
#include "net/headers.h"

namespace ipvsd::dataplane {
namespace {

uint8_t Bit(FlowDir dir) { return static_cast<uint8_t>(1u << static_cast<int>(dir)); }

}  // namespace

OffloadedFlows::OffloadedFlows(io::FlowOffload* offload, uint32_t capacity) : offload_(offload) {
  if (!offload_) return;
  // Only the slots of offloaded connections are ever touched (offloaded_ says which), so only
  // their pages cost memory.
  slots_bytes_ = size_t{capacity} * sizeof(Slot);
  void* p = mmap(nullptr, slots_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    Log(LogLevel::kWarning, "flow offload: no memory for %u connections' slots (%s); this worker offloads nothing",
        capacity, std::strerror(errno));
    offload_ = nullptr;
    return;
  }
  slots_ = static_cast<Slot*>(p);
  offloaded_.assign((size_t{capacity} + 63) / 64, 0);
}

void OffloadedFlows::Mark(uint32_t index, bool offloaded) {
  const uint64_t bit = uint64_t{1} << (index % 64);
  offloaded_[index / 64] = offloaded ? offloaded_[index / 64] | bit : offloaded_[index / 64] & ~bit;
}

OffloadedFlows::~OffloadedFlows() {
  if (slots_) munmap(slots_, slots_bytes_);
}

bool OffloadedFlows::Offloadable(const core::ConnEntry& c, FlowDir dir, const net::PacketView& v) {
  if (c.flags & (core::kConnSynproxy | core::kConnSynproxyPending | core::kConnOnePacket | core::kConnTemplate)) {
    return false;
  }
  if (!(c.flags & core::kConnHashed)) return false;
  const core::FwdMethod fwd = c.fwd();
  // A tunnel may change the family (4in6, 6in4); NAT and DR never do.
  if (fwd == core::FwdMethod::kTunnel) {
    if (dir != FlowDir::kIn || !c.dest) return false;
  } else if (c.af != c.daf ||
             (fwd != core::FwdMethod::kMasq && !(fwd == core::FwdMethod::kRoute && dir == FlowDir::kIn))) {
    return false;
  }
  if (c.in_pkts < kMinClientPackets) return false;
  if (c.protocol == net::kProtoUdp) return true;
  if (c.protocol != net::kProtoTcp) return false;
  return static_cast<core::TcpState>(c.state) == core::TcpState::kEstablished &&
         !(v.tcp_flags & (net::kTcpSyn | net::kTcpFin | net::kTcpRst));
}

io::FlowKey OffloadedFlows::KeyOf(const core::ConnEntry& c, FlowDir dir) {
  io::FlowKey k;
  k.family = c.af;
  k.protocol = c.protocol;
  if (dir == FlowDir::kIn) {
    k.src = c.caddr;
    k.sport = c.cport;
    k.dst = c.vaddr;
    k.dport = c.vport;
  } else {
    k.src = c.daddr;
    k.sport = c.dport;
    k.dst = c.caddr;
    k.dport = c.cport;
  }
  return k;
}

uint32_t OffloadedFlows::TunnelSettings(const core::Dest& dest) {
  return static_cast<uint32_t>(dest.tun_type()) | static_cast<uint32_t>(dest.tun_csum()) << 8 |
         static_cast<uint32_t>(dest.tun_port()) << 16;
}

bool OffloadedFlows::SameTunnel(const core::ConnEntry& c, uint32_t index) const {
  if (c.fwd() != core::FwdMethod::kTunnel) return true;
  return c.dest && TunnelSettings(*c.dest) == slots_[index].tunnel;
}

OffloadedFlows::InstallResult OffloadedFlows::Install(const core::ConnEntry& c, uint32_t index, FlowDir dir,
                                                     const net::NextHop& hop, const net::PacketView& v) {
  if (any(index) && (slots_[index].dirs & Bit(dir))) return InstallResult::kAlready;
  io::FlowRule rule;
  rule.key = KeyOf(c, dir);
  rule.mtu = hop.mtu;
  if (c.fwd() == core::FwdMethod::kMasq) {
    rule.action = dir == FlowDir::kIn ? io::FlowAction::kNatToServer : io::FlowAction::kNatToClient;
    rule.new_addr = dir == FlowDir::kIn ? c.daddr : c.vaddr;
    rule.new_port = dir == FlowDir::kIn ? c.dport : c.vport;
  } else if (c.fwd() == core::FwdMethod::kTunnel) {
    // As fwd::TunXmit wraps it: the same settings, source, flow hash and inner MTU.
    const core::Dest& dest = *c.dest;
    rule.action = io::FlowAction::kTunnel;
    io::FlowTunnel& t = rule.tunnel;
    t.family = c.daf;
    t.type = fwd::ToEncapType(dest.tun_type());
    t.csum = dest.tun_csum() != core::TunCsum::kNoCsum;
    t.flow_hash = fwd::TunnelFlowHash(v);
    t.udp_sport = t.type == net::EncapType::kGue ? net::GueSourcePort(t.flow_hash) : 0;
    t.udp_dport = dest.tun_port();
    t.saddr = hop.src_addr;
    t.daddr = c.daddr;
    rule.mtu = fwd::TunnelInnerMtu(dest, c.daf, hop.mtu);
  }
  rule.ifindex = hop.ifindex;
  rule.src_mac = hop.src_mac;
  rule.dst_mac = hop.dst_mac;
  if (!offload_->Install(rule)) return InstallResult::kRefused;
  Slot& s = slots_[index];
  if (!any(index)) {
    s = Slot{};  // what an earlier connection of this entry left
    Mark(index, true);
  }
  const int d = static_cast<int>(dir);
  s.dirs |= Bit(dir);
  s.packets[d] = 0;
  s.bytes[d] = 0;
  s.egress[d] = Egress::Of(hop);
  if (c.fwd() == core::FwdMethod::kTunnel) s.tunnel = TunnelSettings(*c.dest);
  return InstallResult::kInstalled;
}

FoldedFlow OffloadedFlows::Fold(const core::ConnEntry& c, uint32_t index) {
  uint32_t removed = 0;
  return Collect(c, index, false, &removed);
}

FoldedFlow OffloadedFlows::Withdraw(const core::ConnEntry& c, uint32_t index, uint32_t* withdrawn) {
  return Collect(c, index, true, withdrawn);
}

FoldedFlow OffloadedFlows::Collect(const core::ConnEntry& c, uint32_t index, bool remove, uint32_t* removed) {
  *removed = 0;
  FoldedFlow out;
  Slot& s = slots_[index];
  for (FlowDir dir : {FlowDir::kIn, FlowDir::kOut}) {
    if (!(s.dirs & Bit(dir))) continue;
    io::FlowCounters now;
    const int d = static_cast<int>(dir);
    const bool found = remove ? offload_->Remove(KeyOf(c, dir), &now) : offload_->Read(KeyOf(c, dir), &now);
    if (!found || remove) s.dirs &= static_cast<uint8_t>(~Bit(dir));
    if (found && remove) ++*removed;
    // Not found: gone from below (the program was replaced by the next ipvsd's).
    if (!found) continue;
    out.packets[d] = now.packets - s.packets[d];
    out.bytes[d] = now.bytes - s.bytes[d];
    s.packets[d] = now.packets;
    s.bytes[d] = now.bytes;
    if (now.idle_ns < out.idle_ns) out.idle_ns = now.idle_ns;
  }
  if (s.dirs == 0) Mark(index, false);
  return out;
}

}  // namespace ipvsd::dataplane
