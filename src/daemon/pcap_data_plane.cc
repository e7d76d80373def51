#include "daemon/pcap_data_plane.h"

#include "base/log.h"
#include "io/pcap/pcap_io.h"
#include "io/portable/portable_router.h"

namespace ipvsd::daemon {

Result<PcapDataPlane> OpenPcap(const std::vector<std::string>& ifaces, const std::vector<io::StaticRoute>& routes,
                               int workers, const Clock& clock) {
  if (workers > 1) {
    Log(LogLevel::kInfo, "pcap: one worker serves every interface (libpcap cannot spread an interface over workers)");
  }
  auto links = io::ReadLinks(ifaces);
  if (!links) return links.error();
  auto pcap = io::PcapIo::Open({.ifaces = ifaces});
  if (!pcap) return pcap.error();
  io::PcapIo* io = pcap->get();
  auto router = io::PortableRouter::Create(std::move(*links), routes, io->injector(), clock);
  if (!router) return router.error();
  io::PortableRouter* r = router->get();
  // The worker hands ARP/ND to the router from Receive; it runs only while the pool, which owns
  // both, is started, so the router outlives every call.
  io->SetNeighbourHandler(
      [r](uint32_t ifindex, std::span<const uint8_t> frame) { r->OnNeighbourFrame(ifindex, frame); });
  r->Start();
  for (const io::StaticRoute& route : routes) Log(LogLevel::kInfo, "pcap: route %s", route.ToString().c_str());

  PcapDataPlane out;
  std::vector<ctl::WorkerQueue> served;
  for (const std::string& name : ifaces) served.push_back(ctl::WorkerQueue{name, ctl::kEveryQueue});
  out.io.queues.push_back(std::move(served));
  out.io.update_filter = [io](const io::TrafficFilterChange& c) { return io->UpdateFilter(c); };
  out.io.description = "pcap";
  out.io.counters = [io, r] {
    const io::PcapIo::Counters c = io->counters();
    const io::PortableRouter::Stats s = r->stats();
    return std::vector<NamedCount>{{"rx", c.rx},
                                   {"tx", c.tx},
                                   {"tx_errors", c.tx_errors},
                                   {"rx_neighbour", c.rx_neighbour},
                                   {"rx_truncated", c.rx_truncated},
                                   {"rx_no_buffer", c.rx_no_buffer},
                                   {"kernel_drops", c.kernel_drops},
                                   {"neighbour_solicitations", s.solicitations},
                                   {"neighbour_answers", s.answers},
                                   {"neighbour_failed", s.failed}};
  };
  out.io.ios.push_back(std::move(*pcap));
  out.router = std::move(*router);
  return out;
}

}  // namespace ipvsd::daemon
