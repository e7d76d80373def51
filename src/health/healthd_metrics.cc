// File: health/healthd_metrics.cc
#include "health/healthd_metrics.h"

#include <algorithm>

#include "metrics/exposition.h"

namespace ipvsd::health {
namespace {

using metrics::Exposition;
using metrics::Labels;
using metrics::Type;

double Bool(bool b) { return b ? 1 : 0; }

}  // namespace

std::string VirtualServerLabel(const VirtualServerConfig& vs) {
  if (vs.name.starts_with("fwmark ")) return "FWM " + std::to_string(vs.keys.front().fwmark);
  return vs.name;
}

std::string RenderHealthdMetrics(std::span<const VirtualServerStats> virtual_servers, double process_start_time_s) {
  // Each label set is rendered once and used by every family that has it.
  std::vector<Labels> vs_labels;
  std::vector<std::vector<Labels>> rs_labels;                // [vs][real server]
  std::vector<std::vector<std::vector<Labels>>> chk_labels;  // [vs][real server][checker]
  for (const VirtualServerStats& vs : virtual_servers) {
    const std::string vs_name = VirtualServerLabel(vs.pool->config());
    vs_labels.emplace_back().Add("virtual_server", vs_name);
    rs_labels.emplace_back();
    chk_labels.emplace_back();
    for (const RealServerState& rs : vs.pool->servers()) {
      Labels& l = rs_labels.back().emplace_back();
      l.Add("virtual_server", vs_name).Add("real_server", rs.cfg.Name());
      std::vector<Labels>& checkers = chk_labels.back().emplace_back();
      for (size_t c = 0; c < rs.cfg.checkers.size(); ++c) {
        const std::string name = std::string(CheckerKindName(rs.cfg.checkers[c].kind)) + "#" + std::to_string(c);
        checkers.emplace_back(l).Add("checker", name);
      }
    }
  }
  // Calls SAMPLE(vs index, real server index) for every real server.
  auto each_rs = [&](auto&& sample) {
    for (size_t v = 0; v < virtual_servers.size(); ++v) {
      for (size_t r = 0; r < virtual_servers[v].pool->servers().size(); ++r) sample(v, r);
    }
  };
  auto each_checker = [&](auto&& sample) {
    each_rs([&](size_t v, size_t r) {
      for (size_t c = 0; c < chk_labels[v][r].size(); ++c) sample(v, r, c);
    });
  };
  auto rs = [&](size_t v, size_t r) -> const RealServerState& { return virtual_servers[v].pool->servers()[r]; };

  Exposition out;
  out.Family("ipvs_healthd_real_server_up", Type::kGauge,
             "Whether the real server is alive: all of its checkers pass (1) or not (0).");
  each_rs([&](size_t v, size_t r) { out.Sample(rs_labels[v][r], Bool(rs(v, r).alive)); });

  out.Family("ipvs_healthd_checker_up", Type::kGauge,
             "Whether the checker passes (1) or failed its last attempt and all its retries (0).");
  each_checker([&](size_t v, size_t r, size_t c) { out.Sample(chk_labels[v][r][c], Bool(rs(v, r).checker_up[c])); });

  out.Family("ipvs_healthd_check_duration_seconds", Type::kGauge,
             "How long the checker's last attempt took, up to its timeout (absent before the first).");
  each_checker([&](size_t v, size_t r, size_t c) {
    const std::optional<double> d = virtual_servers[v].checks[r][c].last_duration_s;
    if (d) out.Sample(chk_labels[v][r][c], *d);
  });

  out.Family("ipvs_healthd_consecutive_failures", Type::kGauge,
             "Failed attempts of the checker since its last success.");
  each_checker([&](size_t v, size_t r, size_t c) {
    out.Sample(chk_labels[v][r][c], static_cast<double>(virtual_servers[v].checks[r][c].consecutive_failures));
  });

  out.Family("ipvs_healthd_transitions_total", Type::kCounter,
             "Times the real server went down or came back up since ipvs-healthd started.");
  each_rs([&](size_t v, size_t r) { out.Sample(rs_labels[v][r], rs(v, r).transitions); });

  out.Family("ipvs_healthd_weight_configured", Type::kGauge, "The real server's weight in the configuration.");
  each_rs([&](size_t v, size_t r) { out.Sample(rs_labels[v][r], static_cast<double>(rs(v, r).cfg.weight)); });

  out.Family("ipvs_healthd_weight_current", Type::kGauge,
             "The real server's weight as healthd sets it (misc_dynamic, dynamic_feedback, FILE_CHECK); a server that is down "
             "is out of the table, or at weight 0 with inhibit_on_failure.");
  each_rs([&](size_t v, size_t r) { out.Sample(rs_labels[v][r], static_cast<double>(rs(v, r).EffectiveWeight())); });

  out.Family("ipvs_healthd_feedback_load", Type::kGauge,
             "Aggregate load in the last report of the real server's ipvs-agent: the weighted sum of its cpu, "
             "run queue per CPU, memory and connection loads (dynamic_feedback only).");
  each_rs([&](size_t v, size_t r) {
    const std::vector<std::optional<double>>& loads = virtual_servers[v].feedback_load;
    if (r < loads.size() && loads[r]) out.Sample(rs_labels[v][r], *loads[r]);
  });

  out.Family("ipvs_healthd_virtual_server_alive", Type::kGauge, "Real servers of the virtual server that are alive.");
  for (size_t v = 0; v < virtual_servers.size(); ++v) {
    const std::vector<RealServerState>& servers = virtual_servers[v].pool->servers();
    const auto alive = std::count_if(servers.begin(), servers.end(), [](const RealServerState& s) { return s.alive; });
    out.Sample(vs_labels[v], static_cast<uint64_t>(alive));
  }

  out.Family("ipvs_healthd_virtual_server_quorum_up", Type::kGauge,
             "Whether the live weight of the virtual server meets its quorum (1) or the quorum is lost (0).");
  for (size_t v = 0; v < virtual_servers.size(); ++v) {
    out.Sample(vs_labels[v], Bool(virtual_servers[v].pool->quorum_up()));
  }

  out.Family("process_start_time_seconds", Type::kGauge, "Start time of the process since the Unix epoch in seconds.");
  out.Sample(process_start_time_s);
  return std::move(out).Text();
}

void PublishedMetrics::Publish(std::string text) {
  auto next = std::make_shared<const std::string>(std::move(text));
  std::lock_guard lock(mu_);
  text_ = std::move(next);
}

metrics::HttpReply PublishedMetrics::Serve(const metrics::HttpRequest& request) const {
  constexpr const char* kPlain = "text/plain; charset=utf-8";
  if (request.path != "/metrics") return {404, kPlain, "not found: ipvs-healthd serves /metrics only\n"};
  std::shared_ptr<const std::string> text;
  {
    std::lock_guard lock(mu_);
    text = text_;
  }
  // The copy into the reply is made outside the lock; the loop may publish meanwhile.
  if (!text) return {503, kPlain, "starting\n"};
  return {200, metrics::kContentType, *text};
}

}  // namespace ipvsd::health
