#include "daemon/data_plane_setup.h"

#include <algorithm>
#include <thread>

#include "base/log.h"
#include "daemon/interfaces.h"
#include "io/af_packet/af_packet_io.h"
#include "io/af_xdp/af_xdp_io.h"
#include "io/netlink/netlink_router.h"

namespace ipvsd::daemon {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// One AfXdpIo per queue, all behind one XDP program: a filter update goes to any of them.
Result<PacketIoSet> OpenAfXdp(const std::vector<std::string>& ifaces, int queues) {
  PacketIoSet set;
  std::vector<io::AfXdpIo*> sockets;
  for (int q = 0; q < queues; ++q) {
    io::AfXdpOptions o;
    o.ifaces = ifaces;
    o.queue = static_cast<uint32_t>(q);
    auto io = io::AfXdpIo::Open(o);
    if (!io) return io.error();
    sockets.push_back(io->get());
    if (q == 0) set.description = "AF_XDP " + (*io)->mode_description();
    set.ios.push_back(std::move(*io));
  }
  set.set_filter = [first = sockets.front()](const io::TrafficFilter& f) { return first->SetFilter(f); };
  set.counters = [sockets] {
    io::AfXdpCounters t;
    for (io::AfXdpIo* s : sockets) {
      io::AfXdpCounters c = s->counters();
      t.rx += c.rx;
      t.tx += c.tx;
      t.passed_dropped += c.passed_dropped;
      t.tx_ring_full += c.tx_ring_full;
      t.tx_unsendable += c.tx_unsendable;
      t.fill_ring_empty += c.fill_ring_empty;
      t.kernel_rx_dropped += c.kernel_rx_dropped;
      t.kernel_fill_empty += c.kernel_fill_empty;
    }
    return "rx=" + std::to_string(t.rx) + " tx=" + std::to_string(t.tx) +
           " passed_dropped=" + std::to_string(t.passed_dropped) + " tx_ring_full=" + std::to_string(t.tx_ring_full) +
           " tx_unsendable=" + std::to_string(t.tx_unsendable) + " fill_ring_empty=" +
           std::to_string(t.fill_ring_empty) + " kernel_rx_dropped=" + std::to_string(t.kernel_rx_dropped) +
           " kernel_fill_empty=" + std::to_string(t.kernel_fill_empty);
  };
  return set;
}

// One AF_PACKET PacketIo over every interface: without a steering program a second worker
// would see the replies of the first one's NAT connections.
Result<PacketIoSet> OpenAfPacket(const std::vector<std::string>& ifaces, bool gso) {
  io::AfPacketOptions o;
  o.ifaces = ifaces;
  o.gso = gso;
  if (gso) o.frames = io::kGsoFrames;
  auto io = io::AfPacketIo::Open(o);
  if (!io) return io.error();
  PacketIoSet set;
  io::AfPacketIo* raw = io->get();
  set.set_filter = [raw](const io::TrafficFilter& f) { return raw->SetFilter(f); };
  set.description = "AF_PACKET";
  set.counters = [raw] {
    io::AfPacketIo::Counters c = raw->counters();
    return "rx=" + std::to_string(c.rx) + " tx=" + std::to_string(c.tx) + " tx_ring_full=" +
           std::to_string(c.tx_ring_full) + " tx_errors=" + std::to_string(c.tx_errors) +
           " rx_truncated=" + std::to_string(c.rx_truncated) +
           " rx_other_host=" + std::to_string(c.rx_other_host) + " rx_gso_unsupported=" +
           std::to_string(c.rx_gso_unsupported) + " kernel_rx_drops=" + std::to_string(c.rx_drops);
  };
  set.ios.push_back(std::move(*io));
  return set;
}

}  // namespace

Result<std::unique_ptr<WorkerPool>> MakeDataPlane(Daemon& daemon) {
  const Options& opt = daemon.options();
  std::vector<std::string> ifaces = opt.ifaces.empty() ? UpInterfaces() : opt.ifaces;
  if (ifaces.empty()) return std::unique_ptr<WorkerPool>();
  if (Status st = CheckInterfaces(ifaces); !st) return st.error();

  int queues = RxQueueCount(ifaces.front());
  for (const std::string& i : ifaces) queues = std::min(queues, RxQueueCount(i));
  int wanted = opt.workers > 0 ? opt.workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int workers = std::clamp(std::min(wanted, queues), 1, core::kMaxWorkers);

  Result<PacketIoSet> io = Error{};
  if (opt.io != IoMode::kAfPacket) {
    io = OpenAfXdp(ifaces, workers);
    if (!io && opt.io == IoMode::kAfXdp) return io.error();
    if (!io) Log(LogLevel::kWarning, "AF_XDP unavailable (%s); using AF_PACKET", io.error().message.c_str());
  }
  if (!io) {
    io = OpenAfPacket(ifaces, opt.gso);
    if (!io) return io.error();
  }
  auto router = io::NetlinkRouter::Open();
  if (!router) return router.error();

  Log(LogLevel::kInfo, "data plane: %s on %s, %zu worker(s)", io->description.c_str(), Join(ifaces).c_str(),
      io->ios.size());
  dataplane::Worker::Env env{&daemon.services(), &daemon.timeouts(), &daemon.settings(),
                             &daemon.services().total_stats(), nullptr, &daemon.clock()};
  return std::make_unique<WorkerPool>(env, std::move(*router), opt.conn_max, std::move(*io));
}

}  // namespace ipvsd::daemon
