// The control plane at scale: what one ipvsadm command costs inside ipvsd with 10, 1 000 and
// 10 000 services of 10 real servers each, what a whole-table restore (one kBatch) costs, and
// the memory one service and one real server take. Requests go through ctl::Handlers, as
// they do from the control socket (decoding included, the socket itself not).
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <algorithm>
#include <string>
#include <thread>

#include "core/service_manager.h"
#include "core/timeouts.h"
#include "ctl/codec.h"
#include "ctl/handlers.h"
#include "net/headers.h"
#include "sched/registry.h"

namespace ipvsd {
namespace {

constexpr int kRealServers = 10;

ctl::ServiceSpec Service(int i) {
  ctl::ServiceSpec s;
  s.key.protocol = net::kProtoTcp;
  s.key.addr = net::IpAddr::V4(0xc6130000u + static_cast<uint32_t>(i)).raw;  // 198.19.0.0/16
  s.key.port = 80;
  s.sched_name = "wlc";
  return s;
}

ctl::DestRequest RealServer(const ctl::ServiceSpec& s, int service, int r) {
  ctl::DestRequest d;
  d.service = s.key;
  d.dest.addr = net::IpAddr::V4(0xc6120000u + static_cast<uint32_t>((r + 1) << 8) +
                                static_cast<uint32_t>(service % 250 + 1));  // 198.18.R.x
  d.dest.port = 8080;
  d.dest.fwd = ctl::Fwd::kMasq;
  return d;
}

// `services` services of kRealServers each: ipvsadm -R of an `ipvsadm -S` of that table.
ctl::BatchRequest Restore(int services, int real_servers) {
  ctl::BatchRequest b;
  b.steps.reserve(static_cast<size_t>(services) * (1 + real_servers));
  for (int i = 0; i < services; ++i) {
    ctl::ServiceSpec s = Service(i);
    b.steps.push_back(ctl::MakeBatchStep(ctl::MsgType::kAddService, s));
    for (int r = 0; r < real_servers; ++r) {
      b.steps.push_back(ctl::MakeBatchStep(ctl::MsgType::kAddDest, RealServer(s, i, r)));
    }
  }
  return b;
}

std::vector<uint8_t> Payload(const auto& v) {
  ctl::Writer w;
  ctl::Put(w, v);
  return std::move(w.buffer());
}

struct ControlPlane {
  core::Timeouts timeouts;
  core::ServiceManager manager{sched::MakeScheduler};
  ctl::Handlers handlers{manager, timeouts, 1u << 20, [](const ctl::ConnCursor&) { return ctl::ConnList{}; }};

  void Request(ctl::MsgType type, const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> reply = handlers.Handle(static_cast<uint16_t>(type), payload);
    benchmark::DoNotOptimize(reply.data());
  }
};

// One `ipvsadm -a` and one `ipvsadm -d` per iteration, at a table of range(0) services.
void BM_CtlSingleCommand(benchmark::State& state) {
  ControlPlane cp;
  cp.Request(ctl::MsgType::kBatch, Payload(Restore(static_cast<int>(state.range(0)), kRealServers)));
  ctl::DestRequest extra = RealServer(Service(7), 7, 200);
  const std::vector<uint8_t> add = Payload(extra);
  for (auto _ : state) {
    cp.Request(ctl::MsgType::kAddDest, add);
    cp.Request(ctl::MsgType::kDelDest, add);
  }
  state.SetItemsProcessed(state.iterations() * 2);
  state.counters["per_command"] = benchmark::Counter(static_cast<double>(state.iterations() * 2),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CtlSingleCommand)->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

// ipvsadm -R of range(0) services × 10 real servers into an empty table, as one batch.
void BM_CtlRestore(benchmark::State& state) {
  const std::vector<uint8_t> restore = Payload(Restore(static_cast<int>(state.range(0)), kRealServers));
  for (auto _ : state) {
    state.PauseTiming();
    auto cp = std::make_unique<ControlPlane>();
    state.ResumeTiming();
    cp->Request(ctl::MsgType::kBatch, restore);
    state.PauseTiming();
    cp.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_CtlRestore)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(3);

// Heap bytes one service (with its scheduler and counters) and one real server take, with
// counter shards for as many workers as this machine has cores (ipvsd's default).
void BM_CtlTableMemory(benchmark::State& state) {
  const int services = static_cast<int>(state.range(0));
  const int workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  core::Stats::SetShardCount(workers);
  double per_service = 0, per_real_server = 0;
  for (auto _ : state) {
    ControlPlane cp;
    const size_t empty = mallinfo2().uordblks;
    cp.Request(ctl::MsgType::kBatch, Payload(Restore(services, 0)));
    const size_t with_services = mallinfo2().uordblks;
    ctl::BatchRequest dests;
    for (int i = 0; i < services; ++i) {
      for (int r = 0; r < kRealServers; ++r) {
        dests.steps.push_back(ctl::MakeBatchStep(ctl::MsgType::kAddDest, RealServer(Service(i), i, r)));
      }
    }
    const std::vector<uint8_t> payload = Payload(dests);
    const size_t before_dests = mallinfo2().uordblks;
    cp.Request(ctl::MsgType::kBatch, payload);
    const size_t with_dests = mallinfo2().uordblks;
    per_service = static_cast<double>(with_services - empty) / services;
    per_real_server = static_cast<double>(with_dests - before_dests) / (services * kRealServers);
  }
  core::Stats::SetShardCount(core::kMaxWorkers);
  state.counters["bytes_per_service"] = per_service;
  state.counters["bytes_per_real_server"] = per_real_server;
  state.counters["workers"] = workers;
}
BENCHMARK(BM_CtlTableMemory)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ipvsd
