// Engine benchmarks (google-benchmark), in memory through the real Worker and
// the loopback frames: established NAT forwarding with 1 000 000 live connections, new
// connection set-up per scheduler, the memory one connection costs, both rates with one and
// with two workers, and the same with two workers that each receive half of their packets for
// the other's connections (as from a multi-queue NIC), with the cost of one handoff. The run
// ends with the summary line `engine: nat_established_ns_per_pkt=... new_conn_per_s=...
// bytes_per_conn=... established_2_workers_vs_1=... new_conn_2_workers_vs_1=...
// established_handoff_2_workers_vs_1=... new_conn_handoff_2_workers_vs_1=... handoff_ns=...
// established_store_vs_memory=... new_conn_store_vs_memory=...` (the last two: the tables in a
// connection store under /dev/shm, core/conn_store.h, against anonymous memory),
// then the control plane's (ctl_bench.cc): `ctl: restore_10000x10_ms=... command_ns_at_10=...
// command_ns_at_10000=... command_10000_vs_10=... bytes_per_service=... bytes_per_real_server=...`,
// then a scrape's (metrics_bench.cc): `metrics: scrape_ms_at_10000_real_servers=... scrape_bytes=...
// status_page_ms=...`.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/conn_store.h"
#include "core/service_manager.h"
#include "dataplane/worker.h"
#include "net/checksum.h"
#include "net/headers.h"
#include "net/packet_view.h"
#include "sched/registry.h"
#include "tests/testing/packet_builder.h"

namespace ipvsd {
namespace {

constexpr uint32_t kLiveConns = 1'000'000;
constexpr int kBurst = net::kMaxBurst;

net::IpAddr Ip(const char* s) { return *net::IpAddr::Parse(s); }

// A director with one NAT service over three real servers, as in the tests; its workers
// share it as a daemon's workers do.
struct Director {
  explicit Director(const char* sched, uint8_t proto = net::kProtoTcp) : services(&sched::MakeScheduler) {
    net::StaticRouter::Route r;
    r.prefix = Ip("198.18.0.0");
    r.prefix_len = 15;
    r.hop.ifindex = 2;
    router.AddRoute(r);
    core::ServiceConfig c;
    c.key.protocol = proto;
    c.key.addr = Ip("198.19.0.1").raw;
    c.key.port = 80;
    c.sched_name = sched;
    if (!services.AddService(c).ok()) std::abort();
    for (const char* a : {"198.18.1.1", "198.18.1.2", "198.18.1.3"}) {
      core::DestConfig d;
      d.addr = Ip(a);
      d.port = 8080;
      d.fwd = core::FwdMethod::kMasq;
      if (!services.AddDest(c.key, d).ok()) std::abort();
    }
  }
  // `handoff`: the workers' rings (nullptr: a worker alone); they then share `templates`.
  // `store`: where the connection table lives (nullptr: anonymous memory).
  std::unique_ptr<dataplane::Worker> MakeWorker(int id, uint32_t capacity, dataplane::Handoff* handoff = nullptr,
                                                core::ConnStore* store = nullptr) {
    dataplane::Worker::Env env{&services, &timeouts, &settings, &services.total_stats(), &router, &clock};
    env.handoff = handoff;
    if (handoff) env.templates = &templates;
    dataplane::Worker::Options o;
    o.id = id;
    o.conn_capacity = capacity;
    o.conn_store = store;
    return std::make_unique<dataplane::Worker>(o, env);
  }
  core::ServiceManager services;
  core::Timeouts timeouts;
  core::Settings settings;
  net::StaticRouter router;
  FakeClock clock{1'000'000'000};
  core::TemplateTable templates{1u << 16, HashKey{{1, 0}}, clock.NowTicks()};
};

// A director with one worker.
struct Engine {
  Engine(const char* sched, uint32_t capacity) : director(sched), worker(director.MakeWorker(0, capacity)) {}
  Director director;
  std::unique_ptr<dataplane::Worker> worker;
};

// Client i: address 198.18.(64 + bits 16..21 of i).(bits 8..15 of i), port from bits 0..7,
// so that a million clients have a million distinct flows.
void PatchClient(uint8_t* frame, uint32_t i) {
  uint8_t* ip = frame + sizeof(net::EthHdr);
  ip[12] = 198;
  ip[13] = 18;
  ip[14] = static_cast<uint8_t>(64 + ((i >> 16) & 0x3f));
  ip[15] = static_cast<uint8_t>(i >> 8);
  net::HeaderAt<net::TcpHdr>(ip + sizeof(net::Ipv4Hdr))->source.set(static_cast<uint16_t>(1024 + (i & 0xff)));
  // The data plane drops a frame whose IPv4 header checksum is wrong, as the kernel does.
  net::SetIpv4HeaderChecksum(ip);
}

std::vector<uint8_t> TcpFrame(uint8_t flags) {
  return testing::PacketBuilder()
      .Eth("02:00:00:00:00:01", "02:00:00:00:00:d1")
      .Ipv4("198.18.64.0", "198.19.0.1")
      .Tcp(1024, 80, flags)
      .Build();
}

// A burst of frame buffers with headroom, each filled from a template and patched to a
// client before a Process() call, as a NIC would hand over fresh frames. The TCP checksums
// are left stale: the data plane does not verify them.
struct Burst {
  std::vector<uint8_t> memory = std::vector<uint8_t>(kBurst * 2048);
  net::Frame frames[kBurst];
  dataplane::Verdict verdicts[kBurst];
  void Load(const std::vector<uint8_t>& tpl, const uint32_t* clients) {
    for (int i = 0; i < kBurst; ++i) {
      net::Frame& f = frames[i];
      f.buffer = memory.data() + i * 2048;
      f.capacity = 2048;
      f.offset = net::kFrameHeadroom;
      f.len = static_cast<uint32_t>(tpl.size());
      std::memcpy(f.data(), tpl.data(), f.len);
      PatchClient(f.data(), clients[i]);
    }
  }
};

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

double g_bytes_per_conn = 0;

// A connection store for a table of `capacity` entries under /dev/shm, as ipvsd's default; its
// file is unlinked at once (the mapping stays), so nothing is left behind.
std::unique_ptr<core::ConnStore> BenchStore(uint32_t capacity) {
  static int n = 0;
  const std::string path = "/dev/shm/ipvsd-bench-" + std::to_string(getpid()) + "-" + std::to_string(n++);
  auto store = core::ConnStore::Create(path, core::ConnTable::RoundCapacity(capacity));
  ::unlink(path.c_str());
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    std::abort();
  }
  return std::move(*store);
}

// Opens the connections of clients 0 .. kLiveConns-1 on a worker, a burst of SYNs at a time.
void OpenLiveConns(dataplane::Worker& w, Burst& b) {
  std::vector<uint8_t> syn = TcpFrame(net::kTcpSyn);
  uint32_t clients[kBurst];
  for (uint32_t base = 0; base < kLiveConns; base += kBurst) {
    for (int i = 0; i < kBurst; ++i) clients[i] = base + static_cast<uint32_t>(i);
    b.Load(syn, clients);
    w.Process(b.frames, b.verdicts);
  }
}

// One burst of established packets from random live clients (x: the xorshift state).
void SendEstablished(dataplane::Worker& w, Burst& b, const std::vector<uint8_t>& ack, uint64_t& x) {
  uint32_t clients[kBurst];
  for (int i = 0; i < kBurst; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    clients[i] = static_cast<uint32_t>(x % kLiveConns);
  }
  b.Load(ack, clients);
  w.Process(b.frames, b.verdicts);
  benchmark::DoNotOptimize(b.verdicts[0]);
}

void CheckForwarded(benchmark::State& state, const dataplane::Worker& w) {
  if (w.counters().tx.load() < static_cast<uint64_t>(state.iterations()) * kBurst) {
    state.SkipWithError("frames were not forwarded");
  }
}

// Established NAT traffic spread over 1 000 000 live connections (random order, so nearly
// every lookup misses the CPU caches), batches of 64. Includes refilling the 64 frames.
void BM_NatEstablished(benchmark::State& state) {
  size_t before = ResidentBytes();
  Engine e("wlc", 1u << 20);
  Burst b;
  OpenLiveConns(*e.worker, b);
  size_t live = e.worker->conns().size();
  g_bytes_per_conn = static_cast<double>(ResidentBytes() - before) / static_cast<double>(live);
  std::vector<uint8_t> ack = TcpFrame(net::kTcpAck);
  uint64_t x = 88172645463325252ull;
  for (auto _ : state) SendEstablished(*e.worker, b, ack, x);
  state.SetItemsProcessed(state.iterations() * kBurst);
  state.counters["live_conns"] = static_cast<double>(live);
  state.counters["bytes_per_conn"] = g_bytes_per_conn;
  CheckForwarded(state, *e.worker);
}
BENCHMARK(BM_NatEstablished)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// The same with the table in a connection store.
void BM_NatEstablishedStore(benchmark::State& state) {
  auto store = BenchStore(1u << 20);
  Director director("wlc");
  auto worker = director.MakeWorker(0, 1u << 20, nullptr, store.get());
  Burst b;
  OpenLiveConns(*worker, b);
  std::vector<uint8_t> ack = TcpFrame(net::kTcpAck);
  uint64_t x = 88172645463325252ull;
  for (auto _ : state) SendEstablished(*worker, b, ack, x);
  state.SetItemsProcessed(state.iterations() * kBurst);
  CheckForwarded(state, *worker);
}
BENCHMARK(BM_NatEstablishedStore)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// Scaling over workers: each benchmark thread is one worker with its own 1 000 000
// connections, as the daemon runs one worker per receive queue and core, all sharing one
// director's services, destinations and counters. items_per_second is the sum of the workers.
void BM_NatEstablishedWorkers(benchmark::State& state) {
  static Director director("wlc");
  auto worker = director.MakeWorker(state.thread_index(), 1u << 20);
  Burst b;
  OpenLiveConns(*worker, b);
  std::vector<uint8_t> ack = TcpFrame(net::kTcpAck);
  uint64_t x = 88172645463325252ull + static_cast<uint64_t>(state.thread_index());
  for (auto _ : state) SendEstablished(*worker, b, ack, x);
  state.SetItemsProcessed(state.iterations() * kBurst);
  CheckForwarded(state, *worker);
}
BENCHMARK(BM_NatEstablishedWorkers)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime()->Threads(1)->Threads(2);

// New connections: every frame a SYN of a flow never seen (lookup miss + service lookup +
// schedule + insert + NAT rewrite), batches of 64, per scheduler.
constexpr uint32_t kNewConnCapacity = 1u << 21;

// `stored`: the table in a connection store (a fresh one with every fresh table).
void NewConnLoop(benchmark::State& state, Director& director, int worker_id, bool stored = false) {
  constexpr uint32_t kCapacity = kNewConnCapacity;
  std::vector<uint8_t> syn = TcpFrame(net::kTcpSyn);
  std::unique_ptr<core::ConnStore> store = stored ? BenchStore(kCapacity) : nullptr;
  auto worker = director.MakeWorker(worker_id, kCapacity, nullptr, store.get());
  Burst b;
  uint32_t clients[kBurst];
  uint32_t next = 0;
  for (auto _ : state) {
    if (next + kBurst > kCapacity / 2) {  // a fresh table before it gets crowded
      state.PauseTiming();
      worker.reset();
      if (stored) store = BenchStore(kCapacity);
      worker = director.MakeWorker(worker_id, kCapacity, nullptr, store.get());
      next = 0;
      state.ResumeTiming();
    }
    for (int i = 0; i < kBurst; ++i) clients[i] = next++;
    b.Load(syn, clients);
    worker->Process(b.frames, b.verdicts);
    benchmark::DoNotOptimize(b.verdicts[0]);
  }
  state.SetItemsProcessed(state.iterations() * kBurst);
}

void BM_NewConn(benchmark::State& state, const char* sched) {
  Director director(sched);
  NewConnLoop(state, director, 0);
}
BENCHMARK_CAPTURE(BM_NewConn, rr, "rr")->Unit(benchmark::kMicrosecond);
void BM_NewConnStore(benchmark::State& state) {
  Director director("wlc");
  NewConnLoop(state, director, 0, true);
}
BENCHMARK(BM_NewConnStore)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, wrr, "wrr")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, lc, "lc")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, wlc, "wlc")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, sed, "sed")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, nq, "nq")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, dh, "dh")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, sh, "sh")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, lblc, "lblc")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, lblcr, "lblcr")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, mh, "mh")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, fo, "fo")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, ovf, "ovf")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_NewConn, twos, "twos")->Unit(benchmark::kMicrosecond);

// New connections over workers (wlc): the workers share the destinations' connection
// counters, which every new connection updates. A fixed number of bursts that fills half of
// each worker's table, so that no worker rebuilds its table (zeroing memory at full memory
// bandwidth) while the other is timed.
void BM_NewConnWorkers(benchmark::State& state) {
  static Director director("wlc");
  NewConnLoop(state, director, state.thread_index());
}
BENCHMARK(BM_NewConnWorkers)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Iterations(kNewConnCapacity / 2 / kBurst)
    ->Threads(1)
    ->Threads(2);

// --- workers on a multi-queue NIC: half of each worker's packets belong to the other ----------

// A PacketIo that hands out bursts of TCP frames of clients drawn by `next_client` from a pool
// of buffers, and takes them back on Send/Pass/Drop: a NIC queue in memory. Frames handed off
// to another worker stay out of the pool until they come back. Without next_client, a queue
// nothing arrives on.
class SyntheticQueue final : public io::PacketIo {
 public:
  SyntheticQueue(std::vector<uint8_t> tpl, std::function<uint32_t()> next_client)
      : tpl_(std::move(tpl)), next_client_(std::move(next_client)), memory_(kBuffers * 2048) {
    for (uint32_t i = 0; i < kBuffers; ++i) free_.push_back(memory_.data() + size_t{i} * 2048);
  }
  size_t Receive(std::span<net::Frame> frames) override {
    if (!next_client_) return 0;
    size_t n = std::min(frames.size(), free_.size());
    for (size_t i = 0; i < n; ++i) {
      net::Frame& f = frames[i];
      f = net::Frame{};
      f.buffer = free_.back();
      free_.pop_back();
      f.capacity = 2048;
      f.offset = net::kFrameHeadroom;
      f.len = static_cast<uint32_t>(tpl_.size());
      std::memcpy(f.data(), tpl_.data(), f.len);
      PatchClient(f.data(), next_client_());
    }
    received_ += n;
    return n;
  }
  void Send(std::span<const net::Frame> frames) override { Recycle(frames); }
  void Pass(std::span<const net::Frame> frames) override { Recycle(frames); }
  void Drop(std::span<const net::Frame> frames) override { Recycle(frames); }
  void WaitForFrames(int, int) override {}
  uint64_t received() const { return received_; }

 private:
  static constexpr uint32_t kBuffers = 4 * dataplane::Handoff::kRingSize;
  void Recycle(std::span<const net::Frame> frames) {
    for (const net::Frame& f : frames) free_.push_back(f.buffer);
  }
  std::vector<uint8_t> tpl_;
  std::function<uint32_t()> next_client_;
  std::vector<uint8_t> memory_;
  std::vector<uint8_t*> free_;
  uint64_t received_ = 0;
};

// The owner of client i's connection among `workers` (1: the worker alone).
size_t OwnerOfClient(const dataplane::Handoff* handoff, uint32_t i) {
  if (!handoff) return 0;
  std::vector<uint8_t> f = TcpFrame(net::kTcpSyn);
  PatchClient(f.data(), i);
  net::PacketView v;
  net::Parse(f.data(), static_cast<uint32_t>(f.size()), &v);
  return handoff->OwnerOf(v.src, v.sport);
}

// The handoff key of the benchmarks, fixed so that runs are comparable.
constexpr HashKey kBenchKey{{0x0123456789abcdefull, 0xfedcba9876543210ull}};

// The rings between the workers of one run (threads > 1), made before its threads start and
// dropped after they end: frames a run leaves in them belong to its own queues.
std::unique_ptr<dataplane::Handoff> g_handoff;
void MakeHandoff(const benchmark::State& state) {
  if (state.threads() > 1) g_handoff = std::make_unique<dataplane::Handoff>(state.threads(), kBenchKey);
}
void DropHandoff(const benchmark::State&) { g_handoff.reset(); }

// Established NAT over 1 000 000 live connections with two workers that each receive packets
// of every connection, so that half of them are handed to the other worker and come back; or
// (threads:1) one worker alone. items_per_second: packets the workers received and did not drop
// for want of room in a ring (handoff_full: the other worker was slower, or descheduled).
void BM_NatEstablishedHandoff(benchmark::State& state) {
  static Director director("wlc");
  auto worker = director.MakeWorker(state.thread_index(), 1u << 20, g_handoff.get());
  Burst b;
  // Opens the connections this worker owns (the others' SYNs are handed off and discarded).
  OpenLiveConns(*worker, b);
  uint64_t x = 88172645463325252ull + static_cast<uint64_t>(state.thread_index());
  SyntheticQueue queue(TcpFrame(net::kTcpAck), [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return static_cast<uint32_t>(x % kLiveConns);
  });
  for (auto _ : state) worker->Poll(queue);
  const uint64_t full = worker->counters().drops_of(dataplane::DropReason::kHandoffFull);
  state.SetItemsProcessed(static_cast<int64_t>(queue.received() - full));
  state.counters["handed_off"] = static_cast<double>(worker->counters().handed_off.load());
  state.counters["handoff_full"] = static_cast<double>(full);
}
BENCHMARK(BM_NatEstablishedHandoff)
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0)
    ->UseRealTime()
    ->Setup(MakeHandoff)
    ->Teardown(DropHandoff)
    ->Threads(1)
    ->Threads(2);

// New connections (wlc) the same way: every packet a SYN of a new client, half of them owned by
// the other worker.
void BM_NewConnHandoff(benchmark::State& state) {
  static Director director("wlc");
  auto worker = director.MakeWorker(state.thread_index(), kNewConnCapacity, g_handoff.get());
  // Clients of thread t: t, t + threads, ...: no two threads open the same connection.
  uint32_t next = static_cast<uint32_t>(state.thread_index());
  const uint32_t step = static_cast<uint32_t>(state.threads());
  SyntheticQueue queue(TcpFrame(net::kTcpSyn), [&] { return next += step; });
  for (auto _ : state) worker->Poll(queue);
  const uint64_t full = worker->counters().drops_of(dataplane::DropReason::kHandoffFull);
  state.SetItemsProcessed(static_cast<int64_t>(queue.received() - full));
  state.counters["handoff_full"] = static_cast<double>(full);
}
BENCHMARK(BM_NewConnHandoff)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Setup(MakeHandoff)
    ->Teardown(DropHandoff)
    ->Iterations(kNewConnCapacity / 4 / kBurst)
    ->Threads(1)
    ->Threads(2);

// The cost of one handoff, on one core: every packet arrives at worker 0 and belongs to
// worker 1 (both polled by this thread), against the same packets arriving at their owner.
// handoff_ns = the difference per packet.
void BM_HandoffCost(benchmark::State& state) {
  const bool handed = state.range(0) == 1;
  Director director("wlc");
  dataplane::Handoff handoff(2, kBenchKey);
  auto w0 = director.MakeWorker(0, 1u << 18, &handoff);
  auto w1 = director.MakeWorker(1, 1u << 18, &handoff);
  // 100 000 live connections owned by worker 1.
  std::vector<uint32_t> clients;
  for (uint32_t i = 0; clients.size() < 100'000; ++i) {
    if (OwnerOfClient(&handoff, i) == 1) clients.push_back(i);
  }
  Burst b;
  std::vector<uint8_t> syn = TcpFrame(net::kTcpSyn);
  for (size_t base = 0; base + kBurst <= clients.size(); base += kBurst) {
    b.Load(syn, &clients[base]);
    w1->Process(b.frames, b.verdicts);
  }
  uint64_t x = 88172645463325252ull;
  auto next = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return clients[(x % (clients.size() / kBurst * kBurst))];
  };
  SyntheticQueue arrive_at_0(TcpFrame(net::kTcpAck), next);
  SyntheticQueue arrive_at_1(TcpFrame(net::kTcpAck), next);
  SyntheticQueue idle(TcpFrame(net::kTcpAck), nullptr);
  for (auto _ : state) {
    if (handed) {
      w0->Poll(arrive_at_0);
      w1->Poll(idle);  // serves the handed frames
    } else {
      w1->Poll(arrive_at_1);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(handed ? arrive_at_0.received() : arrive_at_1.received()));
  if (handed && w0->counters().handed_off.load() == 0) state.SkipWithError("nothing was handed off");
}
BENCHMARK(BM_HandoffCost)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// Collects the results while printing them as usual, for the summary line.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.iterations == 0) continue;
      auto items = r.counters.find("items_per_second");
      if (items != r.counters.end()) items_per_second[r.benchmark_name()] = items->second.value;
      seconds_per_iteration[r.benchmark_name()] = r.real_accumulated_time / static_cast<double>(r.iterations);
      for (const auto& [name, counter] : r.counters) counters[r.benchmark_name() + ":" + name] = counter.value;
    }
  }
  std::map<std::string, double> items_per_second;
  std::map<std::string, double> seconds_per_iteration;
  std::map<std::string, double> counters;
};

}  // namespace
}  // namespace ipvsd

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  ipvsd::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  // The first result in `m` whose name starts with `prefix` and ends with `suffix`.
  auto value = [](const std::map<std::string, double>& m, const std::string& prefix, const std::string& suffix = "") {
    for (const auto& [name, v] : m) {
      if (name.rfind(prefix, 0) == 0 && name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return v;
      }
    }
    return 0.0;
  };
  auto find = [&](const std::string& prefix, const std::string& suffix = "") {
    return value(reporter.items_per_second, prefix, suffix);
  };
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  double nat_pps = find("BM_NatEstablished/");
  double new_conn = find("BM_NewConn/wlc");
  double local = find("BM_HandoffCost/0");
  double handed = find("BM_HandoffCost/1");
  std::printf("engine: nat_established_ns_per_pkt=%.1f new_conn_per_s=%.0f bytes_per_conn=%.0f "
              "established_2_workers_vs_1=%.2f new_conn_2_workers_vs_1=%.2f "
              "established_handoff_2_workers_vs_1=%.2f new_conn_handoff_2_workers_vs_1=%.2f handoff_ns=%.1f "
              "established_store_vs_memory=%.2f new_conn_store_vs_memory=%.2f\n",
              nat_pps > 0 ? 1e9 / nat_pps : 0.0, new_conn, ipvsd::g_bytes_per_conn,
              ratio(find("BM_NatEstablishedWorkers/", "threads:2"), find("BM_NatEstablishedWorkers/", "threads:1")),
              ratio(find("BM_NewConnWorkers/", "threads:2"), find("BM_NewConnWorkers/", "threads:1")),
              ratio(find("BM_NatEstablishedHandoff/", "threads:2"), find("BM_NatEstablishedHandoff/", "threads:1")),
              ratio(find("BM_NewConnHandoff/", "threads:2"), find("BM_NewConnHandoff/", "threads:1")),
              local > 0 && handed > 0 ? 1e9 / handed - 1e9 / local : 0.0,
              ratio(find("BM_NatEstablishedStore"), nat_pps), ratio(find("BM_NewConnStore"), new_conn));
  auto ns_per_command = [&](const char* services) {
    double per_s = find(std::string("BM_CtlSingleCommand/") + services);
    return per_s > 0 ? 1e9 / per_s : 0.0;
  };
  std::printf("ctl: restore_10000x10_ms=%.1f command_ns_at_10=%.0f command_ns_at_10000=%.0f "
              "command_10000_vs_10=%.2f bytes_per_service=%.0f bytes_per_real_server=%.0f\n",
              value(reporter.seconds_per_iteration, "BM_CtlRestore/10000") * 1e3, ns_per_command("10"),
              ns_per_command("10000"), ratio(ns_per_command("10000"), ns_per_command("10")),
              value(reporter.counters, "BM_CtlTableMemory/", ":bytes_per_service"),
              value(reporter.counters, "BM_CtlTableMemory/", ":bytes_per_real_server"));
  std::printf("metrics: scrape_ms_at_10000_real_servers=%.1f scrape_bytes=%.0f status_page_ms=%.1f\n",
              value(reporter.seconds_per_iteration, "BM_ScrapeMetrics/1000") * 1e3,
              value(reporter.counters, "BM_ScrapeMetrics/1000", ":bytes"),
              value(reporter.seconds_per_iteration, "BM_StatusPage/1000") * 1e3);
  benchmark::Shutdown();
  return 0;
}
