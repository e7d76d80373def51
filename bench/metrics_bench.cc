// What a scrape costs ipvsd at 1 000 services × 10 real servers (10 000 real servers): the
// /metrics text and the status page's HTML and JSON, rendered from one observation. The
// observation itself copies counters (atomics) out of the engine; no worker is asked or
// waited for, so the packet path loses nothing to a scrape.
#include <benchmark/benchmark.h>

#include "daemon/observation.h"
#include "daemon/prometheus.h"
#include "daemon/status_page.h"

namespace ipvsd {
namespace {

daemon::Observation Director(int services, int real_servers) {
  daemon::Observation o;
  o.version = "bench";
  o.start_time = 1.7e9;
  o.now = 1.7e9 + 3600;
  for (int w = 0; w < 2; ++w) {
    daemon::WorkerView v;
    v.id = static_cast<uint32_t>(w);
    v.queues = "d0 queue " + std::to_string(w);
    for (const char* reason : {"truncated", "no_route", "handoff_full"}) v.drops.push_back({reason, 12345});
    o.workers.push_back(v);
  }
  for (int i = 0; i < services; ++i) {
    daemon::ServiceView s;
    s.proto = "TCP";
    s.addr = net::IpAddr::V4(0xc6130000u + static_cast<uint32_t>(i));
    s.port = 80;
    s.name = "TCP " + s.addr.ToString() + ":80";
    s.scheduler = "wlc";
    s.traffic = {123456, 9876543, 8765432, 987654321, 876543210, 12, 3456, 3400, 456789, 400000};
    s.cps_history.assign(daemon::kHistoryPoints, 12);
    for (int r = 0; r < real_servers; ++r) {
      daemon::RealServerView rs;
      rs.addr = net::IpAddr::V4(0xc6120000u + static_cast<uint32_t>(((r + 1) << 8) + i % 250 + 1));
      rs.port = 8080;
      rs.forward = "Masq";
      rs.weight = 1;
      rs.state = "up";
      rs.active = 40;
      rs.inactive = 3;
      rs.traffic = s.traffic;
      s.real_servers.push_back(rs);
    }
    o.services.push_back(std::move(s));
  }
  return o;
}

void BM_ScrapeMetrics(benchmark::State& state) {
  const daemon::Observation o = Director(static_cast<int>(state.range(0)), 10);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = daemon::RenderPrometheus(o);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ScrapeMetrics)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_StatusPage(benchmark::State& state) {
  const daemon::Observation o = Director(static_cast<int>(state.range(0)), 10);
  for (auto _ : state) {
    std::string html = daemon::StatusPageHtml(o);
    std::string json = daemon::StatusPageJson(o);
    benchmark::DoNotOptimize(html.data());
    benchmark::DoNotOptimize(json.data());
  }
}
BENCHMARK(BM_StatusPage)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ipvsd
