// File: health/healthd_metrics.h
//
// ipvs-healthd's /metrics: the checkers, real servers and virtual servers in the Prometheus
// text format (metrics/exposition.h), and the hand-over of the rendered text to the HTTP
// server (metrics/http_server.h).
//
// Labels: virtual_server as the configuration names it ("198.19.0.1:80/TCP", "[2001:db8::1]:80/UDP",
// "group web"), except fwmark virtual servers, named as ipvsadm does: "FWM 5"; real_server
// "198.18.1.11:8080" or "[2001:db8::11]:8080"; checker its type and its place among the real
// server's checkers: "TCP_CHECK#0", "HTTP_GET#1".
//
//   std::string text = RenderHealthdMetrics(stats, start_time_s);
//   published.Publish(std::move(text));   // healthd's loop
//   published.Serve(request);             // an HTTP server thread
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "health/pool.h"
#include "metrics/http_server.h"

namespace ipvsd::health {

// What /metrics shows of one checker besides its up/down state (which the pool holds).
struct CheckStats {
  std::optional<double> last_duration_s;  // none before its first check finished
  int consecutive_failures = 0;
};

// One virtual server: its pool and what the loop knows beyond it.
struct VirtualServerStats {
  const VirtualServerPool* pool = nullptr;
  std::vector<std::vector<CheckStats>> checks;       // [real server][checker], as in pool->servers()
  std::vector<std::optional<double>> feedback_load;  // [real server]; empty without dynamic_feedback
};

// The virtual_server label of VS.
std::string VirtualServerLabel(const VirtualServerConfig& vs);

std::string RenderHealthdMetrics(std::span<const VirtualServerStats> virtual_servers, double process_start_time_s);

// The last rendered text. healthd's state belongs to its poll loop, and locking it for the HTTP
// server's threads would put a lock in every checker. Instead the loop renders the whole text
// itself and only the finished, immutable string crosses over, under a mutex held for a pointer
// swap: a scrape never waits for the loop nor the loop for a scrape, and no scrape sees a table
// half updated.
class PublishedMetrics {
 public:
  void Publish(std::string text);
  // GET /metrics: the last text published (503 before the first); any other path: 404.
  metrics::HttpReply Serve(const metrics::HttpRequest& request) const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::string> text_;
};

}  // namespace ipvsd::health
