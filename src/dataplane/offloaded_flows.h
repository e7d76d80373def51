// File: dataplane/offloaded_flows.h
//
// OffloadedFlows is a worker's record of which of its connections have a direction forwarded
// below user space (io/flow_offload.h), and of the packets and bytes already taken into the
// connection's statistics, so that each read of the forwarder's counters adds only what is
// new. One slot per entry of the worker's ConnTable, by entry index, in anonymous memory of
// its own that is only touched for offloaded connections (a bit per entry says which are),
// so a table full of connections that never are (a SYN flood) costs 1 bit per entry here.
//
// What may never be offloaded (docs/architecture.md, "Flow offload"): anything but TCP and
// UDP; a connection before its client's 4th packet; TCP before ESTABLISHED or once a FIN or RST
// was seen; SYN proxy connections (their
// sequence numbers are translated); one-packet connections; a connection whose real server is
// unavailable or that is no longer hashed. TUN is offloaded with the tunnel settings its real
// server had then: a change of them takes the flow back (SameTunnel).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/conn.h"
#include "io/flow_offload.h"
#include "net/packet_view.h"
#include "net/route.h"

namespace ipvsd::dataplane {

// The two directions of a connection: from the client (in) and, for NAT, from the real
// server (out).
enum class FlowDir : uint8_t { kIn = 0, kOut = 1 };

// What the forwarder did for one connection since the last Fold.
struct FoldedFlow {
  uint64_t packets[2] = {};
  uint64_t bytes[2] = {};
  // Since the last packet of either direction; UINT64_MAX when neither direction is installed.
  uint64_t idle_ns = UINT64_MAX;
};

class OffloadedFlows {
 public:
  // `offload` nullptr: nothing is ever offloaded.
  OffloadedFlows(io::FlowOffload* offload, uint32_t capacity);
  ~OffloadedFlows();
  OffloadedFlows(const OffloadedFlows&) = delete;
  OffloadedFlows& operator=(const OffloadedFlows&) = delete;

  bool enabled() const { return offload_ != nullptr; }
  bool any(uint32_t index) const { return offload_ && (offloaded_[index / 64] >> (index % 64) & 1); }

  // Whether the packet just forwarded (`v` as it arrived, its protocol state applied) lets
  // this direction of c be offloaded from now on.
  static bool Offloadable(const core::ConnEntry& c, FlowDir dir, const net::PacketView& v);
  // A connection goes down once the client has sent this many packets: a shorter one (a DNS
  // query, an HTTP request with "Connection: close") would cost more in installing and
  // removing its flows, a system call each per direction, than its few packets cost in user
  // space (bench/compare.sh, offload on against off: CPU per new connection 1.30x when flows
  // went down at establishment, 0.99x from the client's 4th packet).
  static constexpr uint32_t kMinClientPackets = 4;
  // Installs direction `dir` of c (entry `index`) to leave through `hop`, unless it is
  // already. `v` is the packet just forwarded, as it arrived (TUN's flow hash is its).
  enum class InstallResult : uint8_t { kInstalled, kAlready, kRefused };
  InstallResult Install(const core::ConnEntry& c, uint32_t index, FlowDir dir, const net::NextHop& hop,
                        const net::PacketView& v);
  // Reads the forwarder's counters of c's installed directions: the news since the last Fold.
  FoldedFlow Fold(const core::ConnEntry& c, uint32_t index);
  // Folds, then takes both directions back: their packets come up again. *withdrawn: how many
  // directions were still installed.
  FoldedFlow Withdraw(const core::ConnEntry& c, uint32_t index, uint32_t* withdrawn);
  // Whether every installed direction of c still leaves as `hop_of(address, family, &hop)`
  // says (false also when it finds no next hop any more).
  template <typename HopOf>
  bool SameNextHops(const core::ConnEntry& c, uint32_t index, HopOf&& hop_of) const;
  // Whether c's real server still has the tunnel settings its flow was installed with (always
  // true but for TUN).
  bool SameTunnel(const core::ConnEntry& c, uint32_t index) const;

  // The flow key of one direction of c.
  static io::FlowKey KeyOf(const core::ConnEntry& c, FlowDir dir);

 private:
  // What of a next hop the forwarder uses (TUN's outer source address too).
  struct Egress {
    uint32_t ifindex;
    uint32_t mtu;
    net::MacAddr src_mac;
    net::MacAddr dst_mac;
    net::RawAddr src_addr;
    static Egress Of(const net::NextHop& hop) {
      return Egress{hop.ifindex, hop.mtu, hop.src_mac, hop.dst_mac, hop.src_addr};
    }
    friend bool operator==(const Egress& a, const Egress& b) {
      return a.ifindex == b.ifindex && a.mtu == b.mtu && a.src_mac == b.src_mac && a.dst_mac == b.dst_mac &&
             a.src_addr == b.src_addr;
    }
  };
  struct Slot {
    uint8_t dirs;  // bit per installed FlowDir
    uint64_t packets[2];
    uint64_t bytes[2];
    Egress egress[2];  // as installed
    uint32_t tunnel;   // TUN: the real server's tunnel settings as installed (TunnelSettings)
  };
  static uint32_t TunnelSettings(const core::Dest& dest);
  FoldedFlow Collect(const core::ConnEntry& c, uint32_t index, bool remove, uint32_t* removed);

  void Mark(uint32_t index, bool offloaded);

  io::FlowOffload* offload_;
  Slot* slots_ = nullptr;
  size_t slots_bytes_ = 0;
  // Bit per entry: whether its slot has an installed direction. Reading a slot, even an
  // untouched one, gives its page memory; reading this does not.
  std::vector<uint64_t> offloaded_;
};

template <typename HopOf>
bool OffloadedFlows::SameNextHops(const core::ConnEntry& c, uint32_t index, HopOf&& hop_of) const {
  const Slot& s = slots_[index];
  for (FlowDir dir : {FlowDir::kIn, FlowDir::kOut}) {
    if (!(s.dirs & (1u << static_cast<int>(dir)))) continue;
    net::NextHop hop;
    const bool found = dir == FlowDir::kIn ? hop_of(c.daf, c.daddr, &hop) : hop_of(c.af, c.caddr, &hop);
    if (!found || !(Egress::Of(hop) == s.egress[static_cast<int>(dir)])) return false;
  }
  return true;
}

}  // namespace ipvsd::dataplane
