#include "daemon/data_plane_setup.h"

#include <algorithm>
#include <thread>

#include "base/log.h"
#include "daemon/data_plane_backends.h"
#include "daemon/interfaces.h"
#include "daemon/pcap_data_plane.h"

namespace ipvsd::daemon {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// What a worker receives from, e.g. "d0 queue 0,2 d1 queue 0,2" (AF_PACKET: "d0 d1").
std::string Served(const std::vector<ctl::WorkerQueue>& queues) {
  std::string s;
  for (size_t i = 0; i < queues.size(); ++i) {
    const ctl::WorkerQueue& q = queues[i];
    const bool same_iface = i > 0 && queues[i - 1].iface == q.iface;
    if (!same_iface) s += (s.empty() ? "" : " ") + q.iface;
    if (q.queue == ctl::kEveryQueue) continue;
    s += (same_iface ? "," : " queue ") + std::to_string(q.queue);
  }
  return s;
}

// What every backend shares: the log lines, the connection stores' tables, the pool.
Result<std::unique_ptr<WorkerPool>> BuildPool(Daemon& daemon, const std::vector<std::string>& ifaces, PacketIoSet io,
                                              std::unique_ptr<net::Router> router,
                                              std::unique_ptr<ConnStores> stores) {
  const Options& opt = daemon.options();
  Log(LogLevel::kInfo, "data plane: %s on %s, %zu worker(s)", io.description.c_str(), Join(ifaces).c_str(),
      io.ios.size());
  for (size_t w = 0; w < io.queues.size(); ++w) {
    Log(LogLevel::kInfo, "data plane: worker %zu: %s", w, Served(io.queues[w]).c_str());
  }
  if (stores) {
    const uint32_t per_worker = WorkerPool::PerWorkerCapacity(opt.conn_max, io.ios.size());
    if (Status st = stores->CreateTables(std::vector<uint32_t>(io.ios.size(), per_worker),
                                         core::TemplateTable::Capacity(opt.conn_max));
        !st) {
      return st.error();
    }
  }
  dataplane::Worker::Env env{&daemon.services(), &daemon.timeouts(), &daemon.settings(),
                             &daemon.services().total_stats(), nullptr, &daemon.clock()};
  return std::make_unique<WorkerPool>(env, std::move(router), opt.conn_max, std::move(io), std::move(stores));
}

}  // namespace

int WorkerLimit(const Options& options) {
  const int wanted =
      options.workers > 0 ? options.workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::clamp(wanted, 1, core::kMaxWorkers);
}

Result<std::unique_ptr<WorkerPool>> MakeDataPlane(Daemon& daemon, std::vector<io::AfXdpHandover> handed) {
  const Options& opt = daemon.options();
  std::vector<std::string> ifaces = opt.ifaces.empty() ? UpInterfaces() : opt.ifaces;
  if (ifaces.empty()) return std::unique_ptr<WorkerPool>();
  if (Status st = CheckInterfaces(ifaces); !st) return st.error();
  // The store's lock first: an ipvsd refused for another's store must not touch the interfaces.
  std::unique_ptr<ConnStores> stores;
  if (!opt.conn_store_dir.empty()) {
    // Taking over, the old process's last threads may hold the lock a moment longer.
    auto opened = ConnStores::Open(opt.conn_store_dir, std::chrono::milliseconds(opt.takeover ? 10000 : 0));
    if (!opened) return opened.error();
    stores = std::move(*opened);
  }
  if (opt.io == IoMode::kPcap) {
    // libpcap has no sockets to hand over: a takeover opens new handles.
    for (io::AfXdpHandover& h : handed) h.Close();
    auto pcap = OpenPcap(ifaces, opt.routes, WorkerLimit(opt), daemon.clock());
    if (!pcap) return pcap.error();
    return BuildPool(daemon, ifaces, std::move(pcap->io), std::move(pcap->router), std::move(stores));
  }
  auto kernel = OpenKernelDataPlane(opt, ifaces, handed);
  if (!kernel) return kernel.error();
  return BuildPool(daemon, ifaces, std::move(kernel->io), std::move(kernel->router), std::move(stores));
}

}  // namespace ipvsd::daemon

