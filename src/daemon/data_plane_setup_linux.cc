// The Linux data planes (daemon/data_plane_backends.h): AF_XDP, AF_PACKET, or auto = AF_XDP
// falling back to AF_PACKET, with the kernel's routes and neighbours (NetlinkRouter), and one
// worker per rx queue up to --workers.
#include <unistd.h>

#include <algorithm>

#include "base/log.h"
#include "daemon/data_plane_backends.h"
#include "daemon/data_plane_setup.h"
#include "daemon/interfaces.h"
#include "io/af_packet/af_packet_io.h"
#include "io/af_xdp/af_xdp_io.h"
#include "io/netlink/netlink_router.h"

namespace ipvsd::daemon {
namespace {

// UMEM frames per socket: a fill ring of half of them, the rest in flight.
constexpr uint32_t kFramesPerSocket = 2048;

// One AfXdpIo per worker, all behind one XDP program (a filter update goes to any of them).
// Every rx queue of every interface gets a socket: worker w serves queues w, w + workers, ...
// of each interface, whatever its queue count. `handed`: the sockets of the ipvsd this one
// takes over from, one entry per worker, to go on with (or empty).
Result<PacketIoSet> OpenAfXdp(const std::vector<std::string>& ifaces, const std::vector<int>& queues, int workers,
                              bool flow_offload, std::vector<io::AfXdpHandover>& handed) {
  PacketIoSet set;
  std::vector<io::AfXdpIo*> sockets;
  for (int w = 0; w < workers; ++w) {
    io::AfXdpOptions o;
    o.ifaces = ifaces;
    std::vector<ctl::WorkerQueue> served;
    for (uint32_t i = 0; i < ifaces.size(); ++i) {
      for (int q = w; q < queues[i]; q += workers) {
        o.queues.push_back(io::AfXdpQueue{i, static_cast<uint32_t>(q)});
        served.push_back(ctl::WorkerQueue{ifaces[i], static_cast<uint32_t>(q)});
      }
    }
    o.frames = std::max<uint32_t>(4096, kFramesPerSocket * static_cast<uint32_t>(o.queues.size()));
    if (!handed.empty()) o.adopt = &handed[static_cast<size_t>(w)];
    auto io = io::AfXdpIo::Open(o);
    if (!io) return io.error();
    sockets.push_back(io->get());
    if (w == 0) set.description = "AF_XDP " + (*io)->mode_description();
    set.queues.push_back(std::move(served));
    set.ios.push_back(std::move(*io));
  }
  set.hand_over = [sockets]() -> Result<std::vector<io::AfXdpHandover>> {
    std::vector<io::AfXdpHandover> out;
    for (io::AfXdpIo* s : sockets) {
      auto h = s->HandOver();
      if (!h) {
        for (io::AfXdpHandover& done : out) done.Close();
        return h.error();
      }
      out.push_back(std::move(*h));
    }
    return out;
  };
  set.update_filter = [first = sockets.front()](const io::TrafficFilterChange& c) { return first->UpdateFilter(c); };
  if (flow_offload) set.flow_offload = sockets.front()->flow_offload();
  set.counters = [sockets] {
    io::AfXdpCounters t;
    for (io::AfXdpIo* s : sockets) {
      io::AfXdpCounters c = s->counters();
      t.rx += c.rx;
      t.tx += c.tx;
      t.passed_dropped += c.passed_dropped;
      t.dropped += c.dropped;
      t.tx_ring_full += c.tx_ring_full;
      t.tx_unsendable += c.tx_unsendable;
      t.fill_ring_empty += c.fill_ring_empty;
      t.kernel_rx_dropped += c.kernel_rx_dropped;
      t.kernel_fill_empty += c.kernel_fill_empty;
      t.kernel_invalid_descs += c.kernel_invalid_descs;
    }
    return std::vector<NamedCount>{{"rx", t.rx},
                                   {"tx", t.tx},
                                   {"passed_dropped", t.passed_dropped},
                                   {"dropped", t.dropped},
                                   {"tx_ring_full", t.tx_ring_full},
                                   {"tx_unsendable", t.tx_unsendable},
                                   {"fill_ring_empty", t.fill_ring_empty},
                                   {"kernel_rx_dropped", t.kernel_rx_dropped},
                                   {"kernel_fill_empty", t.kernel_fill_empty},
                                   {"kernel_invalid_descs", t.kernel_invalid_descs}};
  };
  return set;
}

// One AF_PACKET PacketIo per worker over every interface, the workers' sockets of an interface
// in one PACKET_FANOUT group (the kernel's flow hash, whatever the rx queue): a flow's packets
// stay on one worker, and the handoff takes a NAT reply that hashed elsewhere to its connection.
Result<PacketIoSet> OpenAfPacket(const std::vector<std::string>& ifaces, bool gso, int workers) {
  PacketIoSet set;
  std::vector<io::AfPacketIo*> sockets;
  // A group id of this process's own, so that two ipvsd in one namespace do not share one.
  const uint32_t group = workers > 1 ? (static_cast<uint32_t>(getpid()) & 0x7fff) | 1 : 0;
  for (int w = 0; w < workers; ++w) {
    io::AfPacketOptions o;
    o.ifaces = ifaces;
    o.gso = gso;
    o.fanout_group = group;
    if (gso) o.frames = io::kGsoFrames;
    auto io = io::AfPacketIo::Open(o);
    if (!io) return io.error();
    sockets.push_back(io->get());
    std::vector<ctl::WorkerQueue> served;
    for (const std::string& name : ifaces) served.push_back(ctl::WorkerQueue{name, ctl::kEveryQueue});
    set.queues.push_back(std::move(served));
    set.ios.push_back(std::move(*io));
  }
  set.update_filter = [first = sockets.front()](const io::TrafficFilterChange& c) { return first->UpdateFilter(c); };
  set.description = workers > 1 ? "AF_PACKET fanout" : "AF_PACKET";
  set.counters = [sockets] {
    io::AfPacketIo::Counters t;
    for (io::AfPacketIo* s : sockets) {
      io::AfPacketIo::Counters c = s->counters();
      t.rx += c.rx;
      t.tx += c.tx;
      t.tx_ring_full += c.tx_ring_full;
      t.tx_errors += c.tx_errors;
      t.rx_truncated += c.rx_truncated;
      t.rx_other_host += c.rx_other_host;
      t.rx_gso_unsupported += c.rx_gso_unsupported;
      t.rx_drops += c.rx_drops;
    }
    return std::vector<NamedCount>{{"rx", t.rx},
                                   {"tx", t.tx},
                                   {"tx_ring_full", t.tx_ring_full},
                                   {"tx_errors", t.tx_errors},
                                   {"rx_truncated", t.rx_truncated},
                                   {"rx_other_host", t.rx_other_host},
                                   {"rx_gso_unsupported", t.rx_gso_unsupported},
                                   {"rx_ring_drops", t.rx_drops}};
  };
  return set;
}

}  // namespace

Result<KernelDataPlane> OpenKernelDataPlane(const Options& opt, const std::vector<std::string>& ifaces,
                                            std::vector<io::AfXdpHandover>& handed) {
  std::vector<int> queues;
  for (const std::string& i : ifaces) queues.push_back(RxQueueCount(i));
  const int fewest_queues = *std::min_element(queues.begin(), queues.end());
  const int wanted = WorkerLimit(opt);
  // AF_XDP: a worker transmits only through sockets of its own, so each needs a queue of every
  // interface (a queue takes one UMEM's sockets only); it then serves several queues of the
  // interfaces that have more.
  const int xdp_workers = std::clamp(std::min(wanted, fewest_queues), 1, core::kMaxWorkers);
  const int packet_workers = std::clamp(wanted, 1, core::kMaxWorkers);

  Result<PacketIoSet> io = Error{};
  if (!handed.empty()) {
    if (opt.io != IoMode::kAfPacket && handed.size() == static_cast<size_t>(xdp_workers)) {
      io = OpenAfXdp(ifaces, queues, xdp_workers, opt.flow_offload, handed);
      if (io) {
        Log(LogLevel::kInfo, "takeover: AF_XDP: went on with the sockets of the previous ipvsd (%zu worker(s))",
            handed.size());
      } else {
        Log(LogLevel::kWarning,
            "takeover: AF_XDP: cannot go on with the sockets of the previous ipvsd (%s); opening new ones",
            io.error().message.c_str());
      }
    } else {
      const std::string here =
          opt.io == IoMode::kAfPacket ? "runs AF_PACKET" : "has " + std::to_string(xdp_workers) + " worker(s)";
      Log(LogLevel::kWarning,
          "takeover: AF_XDP: the previous ipvsd had %zu worker(s), this one %s; not going on with its sockets",
          handed.size(), here.c_str());
    }
    for (io::AfXdpHandover& h : handed) h.Close();
    handed.clear();
  }
  if (!io && opt.io != IoMode::kAfPacket) {
    io = OpenAfXdp(ifaces, queues, xdp_workers, opt.flow_offload, handed);
    if (!io && opt.io == IoMode::kAfXdp) return io.error();
    if (!io) Log(LogLevel::kWarning, "AF_XDP unavailable (%s); using AF_PACKET", io.error().message.c_str());
  }
  if (!io) {
    // An XDP program a killed AF_XDP run left holds the services' packets from AF_PACKET too.
    io::AfXdpIo::DetachStale(ifaces);
    io = OpenAfPacket(ifaces, opt.gso, packet_workers);
    if (!io) return io.error();
  }
  auto router = io::NetlinkRouter::Open();
  if (!router) return router.error();
  return KernelDataPlane{std::move(*io), std::move(*router)};
}

}  // namespace ipvsd::daemon
