// File: fuzz/fuzz_load_report.cc
//
// Dynamic feedback's load reports from both ends. ipvs-healthd does not trust the agent
// (health/feedback.h): the input is the reply line an agent sends, through ParseLoadReport,
// AggregateLoad and FeedbackWeight as healthd uses them. ipvs-agent builds its report from
// /proc and cgroup files (agent/load_probe.h): the same input goes through each of those
// parsers, which read whatever the host or a container runtime put there.
//
// Checked beyond the sanitizers: an accepted report holds only finite values within the
// bounds feedback.cc promises (so one lying agent moves only its own server, within its
// bounds), the weight stays within 0 .. scale * configured, and a report the agent formats
// (agent::FormatLoadReply) from those values is one healthd accepts.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/load_probe.h"
#include "health/config.h"
#include "health/feedback.h"

namespace {

namespace agent = ipvsd::agent;
namespace health = ipvsd::health;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Within(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

void CheckReport(const health::LoadReport& r) {
  Check(Within(r.cpu, 0, 1));
  Check(Within(r.runq, 0, 1e4));
  Check(Within(r.ncpu, 0.01, 4096));
  Check(Within(r.memory, 0, 1));
  Check(Within(r.conns, 0, 1e9));
}

void ParseAsAgentSources(std::string_view text) {
  (void)agent::ParseProcStat(text);
  (void)agent::ParseMeminfo(text);
  (void)agent::ParseCpuStatUsage(text);
  if (std::optional<double> cpus = agent::ParseCpuMax(text)) Check(!std::isnan(*cpus));
  Check(agent::CountServerConnections(text, "", 0) >= 0);
  Check(agent::CountServerConnections("", text, 8080) >= 0);
  (void)agent::ParseTaskState(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseAsAgentSources(text);

  ipvsd::Result<health::LoadReport> r = health::ParseLoadReport(text);
  if (!r) return 0;
  CheckReport(*r);
  const health::FeedbackConfig cfg;
  const double load = health::AggregateLoad(*r, cfg);
  Check(Within(load, 0, 2 * (cfg.ratio_cpu + cfg.ratio_runq + cfg.ratio_memory + cfg.ratio_conns)));
  constexpr int kConfigured = 10;
  health::FeedbackWeight w(kConfigured, cfg);
  for (int i = 0; i < 3; ++i) (void)w.OnLoad(load);
  Check(Within(w.weight(), 0, cfg.scale * kConfigured));

  const std::string again = agent::FormatLoadReply({r->cpu, r->runq, r->ncpu, r->memory, r->conns});
  ipvsd::Result<health::LoadReport> reparsed = health::ParseLoadReport(again);
  Check(reparsed.ok());
  CheckReport(*reparsed);
  return 0;
}
