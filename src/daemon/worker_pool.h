// File: daemon/worker_pool.h
//
// WorkerPool runs the data plane: one Worker per PacketIo (one or more NIC queues, an
// AF_PACKET fanout member, or a loopback), each on its own thread, polling in bursts and
// waiting on its I/O when idle. With several workers it owns what they share: the handoff
// rings that take a packet to the worker owning its connection (dataplane/handoff.h), and the
// persistence templates (core/template_table.h). It answers the daemon's DataPlane questions by
// posting a task to every worker (Seastar's invoke_on_all, without futures): workers are never
// read from another thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/service_manager.h"
#include "core/settings.h"
#include "core/timeouts.h"
#include "daemon/conn_stores.h"
#include "daemon/daemon.h"
#include "daemon/traffic_filter_builder.h"
#include "dataplane/worker.h"
#include "io/packet_io.h"
#include "io/traffic_filter.h"
#include "io/xdp_handover.h"
#include "net/route.h"

namespace ipvsd::daemon {

// What a packet-I/O backend gives the pool: one PacketIo per worker (each spanning every
// attached interface, for some of their queues), and how to tell the backend what to hand over.
struct PacketIoSet {
  std::vector<std::unique_ptr<io::PacketIo>> ios;
  std::vector<std::vector<ctl::WorkerQueue>> queues;           // per worker: what it receives from
  std::function<Status(const io::TrafficFilterChange&)> update_filter;  // may be empty (loopback)
  std::string description;                    // for the log, e.g. "AF_XDP native"
  std::function<std::vector<NamedCount>()> counters;  // the backend's counters, summed over the workers
  // AF_XDP: every worker's UMEM and sockets for a process taking over (daemon/socket_handover.h);
  // empty for backends that cannot pass theirs.
  std::function<Result<std::vector<io::AfXdpHandover>>()> hand_over;
  // The XDP program's flow offload, shared by the workers; nullptr: every packet comes up.
  std::shared_ptr<io::FlowOffload> flow_offload;
};

class WorkerPool final : public DataPlane {
 public:
  // `conn_max` connections in all, split evenly over the workers. env.router is ignored:
  // the workers use `router`, which the pool owns. With `stores` (their tables made for
  // PerWorkerCapacity and the templates' capacity), the tables live in them.
  WorkerPool(dataplane::Worker::Env env, std::unique_ptr<net::Router> router, uint32_t conn_max, PacketIoSet io,
             std::unique_ptr<ConnStores> stores = nullptr);
  ~WorkerPool() override;
  static uint32_t PerWorkerCapacity(uint32_t conn_max, size_t workers);

  // Before Start() and once the services are configured: takes in what the previous run left
  // in the connection stores, each connection into the worker that owns it now, logs and
  // keeps the counts (ObserveBackend), and makes this run's stores the ones a next start reads.
  Status AdoptStored();
  void Start();
  // Stops and joins the workers, then logs what they and the packet I/O counted (drops by
  // reason, ring overruns): the figures to look at when traffic went missing.
  void Stop();
  // After Stop(): the workers' UMEMs and sockets for the process taking over, or an empty list
  // when the backend cannot pass them.
  Result<std::vector<io::AfXdpHandover>> HandOverSockets();

  ctl::ConnList ListConns(const ctl::ConnCursor& from) override;
  ctl::DataPlaneInfo Describe() override;
  std::vector<WorkerView> ObserveWorkers() override;
  BackendView ObserveBackend() override;
  uint64_t OldestGeneration() override;
  void OnServicesChanged(const core::ServiceTable& table, const std::vector<net::IpAddr>& local_addrs) override;
  size_t SyncWorkerCount() override { return workers_.size(); }
  size_t PopSyncOut(size_t worker, std::span<core::SyncRecord> out) override {
    return workers_[worker]->PopSyncOut(out);
  }
  bool PushSyncIn(const core::SyncRecord& r) override;
  SyncSlice SyncDumpSlice(const ctl::ConnCursor& from, size_t max) override;

  size_t size() const { return workers_.size(); }

 private:
  void Run(size_t index);
  // Once the workers have stopped: frames one handed to another and not yet back go back to
  // the I/O that received them (AF_XDP: its UMEM's frames; AF_PACKET: its ring slots), sent
  // when their owner had decided so.
  void ReturnHandedFrames();
  // Runs `ask` on every worker's thread and collects the answers in worker order; a worker
  // that does not answer within a timeout gives none.
  // Runs `ask` on worker `index`'s thread; nullopt when it does not answer in time.
  template <typename T>
  std::optional<T> AskWorker(size_t index, std::function<T(dataplane::Worker&)> ask);
  // At most `max` live entries of every table from `from`, each made by make(entry): one
  // worker is asked for one page at a time (on its own thread, between its polls).
  template <typename T>
  struct Page {
    std::vector<T> entries;
    ctl::ConnCursor next;
    bool more = false;
  };
  template <typename T, typename Make>
  Page<T> PageThrough(const ctl::ConnCursor& from, size_t max, Make make);
  template <typename T>
  std::vector<std::optional<T>> AskEveryWorker(std::function<T(dataplane::Worker&)> ask);

  std::unique_ptr<net::Router> router_;
  std::unique_ptr<ConnStores> stores_;  // before the tables that live in them
  std::vector<NamedCount> adopted_;     // what AdoptStored found, by result
  std::unique_ptr<dataplane::Handoff> handoff_;  // with more than one worker
  std::unique_ptr<core::TemplateTable> templates_;
  std::vector<std::unique_ptr<io::PacketIo>> ios_;
  std::vector<std::vector<ctl::WorkerQueue>> queues_;
  std::string io_description_;
  std::function<Status(const io::TrafficFilterChange&)> update_filter_;
  // The table the last OnServicesChanged saw, and what the backend's filter holds.
  core::ServiceMap routed_;
  TrafficFilterTracker filter_tracker_;
  std::vector<net::IpAddr> filter_locals_;
  std::function<std::vector<NamedCount>()> io_counters_;
  std::function<Result<std::vector<io::AfXdpHandover>>()> io_hand_over_;
  std::shared_ptr<io::FlowOffload> flow_offload_;
  std::vector<std::unique_ptr<dataplane::Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  const Clock* clock_;
  const core::Timeouts* timeouts_;
  const core::ServiceManager* services_;
};

}  // namespace ipvsd::daemon
