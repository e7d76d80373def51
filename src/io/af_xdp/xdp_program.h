// File: io/af_xdp/xdp_program.h
//
// XdpProgram is ipvsd's XDP program (ipvsd_xdp.bpf.c, embedded in the binary at build time)
// attached to a set of interfaces, plus the maps that steer packets to AF_XDP sockets: which
// packets are ipvsd's (TrafficFilter) and which socket takes them (the XSKMAP). AfXdpIo uses
// it; it is a separate piece because one attachment serves every rx queue of the interfaces,
// so the AfXdpIo of each queue shares it (Acquire), and the last one to go detaches it.
//
// Each interface gets its own instance of the program (libxdp attaches one program per
// interface), but all instances share one set of maps, so one SetFilter covers them all and
// one XSKMAP holds every socket (keyed by interface slot and rx queue, see xdp_maps.h).
//
// Attachment goes through libxdp: with a bpffs at /sys/fs/bpf it uses the multi-program
// dispatcher (ipvsd then coexists with other XDP programs), without one it falls back to a
// plain ("legacy") attachment. Either way the program's name is "ipvsd_xdp", which is how
// DetachStale recognises what a killed earlier run left behind.
//
// A killed run's program attached plainly holds its services' packets (ipvsd_xdp.bpf.c), and
// removing it before this one filters would hand them to the kernel, which resets them. So a
// new program is then loaded and filled beside it, and replaces it in one step (the kernel's
// atomic XDP replace, without libxdp) with the first filter applied: the restart or takeover
// of a director leaves no moment in which its packets go astray (docs/operations.md).
//
// The program also forwards established flows itself (flow offload, io/flow_offload.h): the
// workers install them through this object, into a map every instance shares, and the
// program sends their packets out of an interface in ipvsd_tx_ports: those whose driver takes
// XDP frames (AcceptsXdpFrames), or every interface when all run the program in skb mode.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "io/flow_offload.h"
#include "io/traffic_filter.h"

struct bpf_object;
struct xdp_program;

namespace ipvsd::io {

// How the XDP program runs: in the driver (native), or in the kernel's generic skb path.
// kAuto tries native first and falls back to skb per interface.
enum class XdpMode : uint8_t { kAuto, kNative, kSkb };

class XdpProgram final : public FlowOffload {
 public:
  struct Iface {
    std::string name;
    uint32_t ifindex = 0;
  };

  // The program attached to exactly `ifaces` (in that order: the position is the interface's
  // slot), shared with every other caller in this process that asks for the same list. The
  // first caller detaches stale ipvsd programs from the interfaces, loads and attaches, except
  // where a stale one is attached plainly: there it loads only, and replaces that one with the
  // first SetFilter/UpdateFilter.
  // Fails with EBUSY when an interface is already served with a different interface list.
  static Result<std::shared_ptr<XdpProgram>> Acquire(const std::vector<Iface>& ifaces, XdpMode mode);

  // Removes every program named ipvsd_xdp from the named interfaces (missing interfaces and
  // interfaces without one are skipped). Also removes this process's own live attachment, so
  // call it only before Acquire.
  static void DetachStale(const std::vector<std::string>& ifaces);

  XdpProgram(const XdpProgram&) = delete;
  XdpProgram& operator=(const XdpProgram&) = delete;
  // Detaches from every interface.
  ~XdpProgram() override;

  // Points the XSKMAP entry of (interface slot, rx queue) at an AF_XDP socket. A closed socket
  // leaves the map by itself (the kernel removes it).
  Status RegisterSocket(uint32_t slot, uint32_t queue, int xsk_fd);
  // Makes the maps hold exactly `filter`: only what differs from the filter applied before
  // is written. Safe while packets flow (each map element changes atomically) and from any
  // thread.
  Status SetFilter(const TrafficFilter& filter);
  // Applies a change: adds first, then removals, so a match that stays is never missing in
  // between. The change must fit what was applied (no add of a present match, no removal of
  // an absent one).
  Status UpdateFilter(const TrafficFilterChange& change);

  // FlowOffload: any thread.
  bool Install(const FlowRule& rule) override;
  bool Remove(const FlowKey& key, FlowCounters* last) override;
  bool Read(const FlowKey& key, FlowCounters* out) override;

  // "native" or "skb" (or "native+skb" if the interfaces ended up in different modes).
  std::string mode_name() const;
  // Whether the interface in `slot` runs the program in the driver (else in the skb path).
  bool native(uint32_t slot) const { return attachments_[slot].native; }

 private:
  struct Attachment {
    Iface iface;
    bpf_object* object = nullptr;
    xdp_program* program = nullptr;
    bool native = false;
    bool attached = false;
    // Loaded beside a stale ipvsd program that it is to replace (attached without libxdp).
    bool replaces_stale = false;
  };

  explicit XdpProgram(std::vector<Iface> ifaces);
  Status Attach(XdpMode mode);
  // Removes a stale ipvsd program from a's interface and attaches a's through libxdp.
  Status AttachWithLibxdp(Attachment& a, XdpMode mode);
  Status FillSlots();
  // Puts in ipvsd_tx_ports the interfaces the program may send flows out of, and says which
  // it may not.
  Status FillTxPorts();
  // Puts the loaded programs in place of the stale ones they are to replace.
  Status ReplaceStale();
  Status UpdateFilterLocked(const TrafficFilterChange& change);

  std::vector<Attachment> attachments_;
  // Shared by every instance (owned by the first object; the others hold duplicates).
  int services_fd_ = -1;
  int nat_sources_fd_ = -1;
  int vips_fd_ = -1;
  int locals_fd_ = -1;
  int ifslots_fd_ = -1;
  int xsks_fd_ = -1;
  int flows_fd_ = -1;
  int tx_ports_fd_ = -1;
  std::mutex filter_mu_;
  AppliedFilter applied_;
  std::map<std::array<uint8_t, 20>, uint32_t> vip_counts_;  // services per VIP (ipvsd_addr_key bytes)
};

}  // namespace ipvsd::io
