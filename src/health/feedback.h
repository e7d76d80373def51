// File: health/feedback.h
//
// Dynamic-feedback weights (docs/dynamic-feedback.md has the derivation and the constants).
// Every interval ipvs-healthd polls each real server's ipvs-agent, which answers one line of
// JSON with its load; this file turns that line into an aggregate load and the aggregate load
// into a weight with the LVS formula
//
//   load_s  <- s * load + (1 - s) * load_s                       (EWMA, s = smoothing)
//   w       <- w + A * cbrt(target - load_s)   unless |target - load_s| < deadband
//   w       clamped to 0 .. scale * configured weight;  pushed only when round(w) changes
//
// The agent is not trusted: a reply that is not that JSON object, or has a negative or
// non-finite number, is rejected (the weight stays as it is); values beyond their range are
// clamped, so one lying agent can move only its own server, and only within the bounds.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "health/config.h"

namespace ipvsd::health {

// Largest agent reply read; anything longer is garbage.
inline constexpr size_t kMaxAgentReply = 512;
// Each normalised load component is capped here, so the aggregate is within 0..2 and one
// step is within A * cbrt(target - 2) .. A * cbrt(target).
inline constexpr double kMaxComponentLoad = 2.0;

struct LoadReport {
  double cpu = 0;     // 0..1, share of the server's CPU capacity used over the agent's interval
  double runq = 0;    // runnable tasks
  double ncpu = 1;    // CPU capacity (CPUs, or the cgroup's quota in CPUs)
  double memory = 0;  // 0..1, used / limit
  double conns = 0;   // established connections to the server's listening ports
};

Result<LoadReport> ParseLoadReport(std::string_view reply);

// sum_k R_k * LOAD_k with LOAD = {cpu, runq / ncpu, memory, conns / max_connections}, each
// capped at kMaxComponentLoad.
double AggregateLoad(const LoadReport& r, const FeedbackConfig& cfg);

// One real server's weight under feedback. Starts at the configured weight.
class FeedbackWeight {
 public:
  FeedbackWeight(int configured, const FeedbackConfig& cfg) : FeedbackWeight(configured, configured, cfg) {}
  // Taking over a server whose weight is CURRENT already (a reload changed the feedback block).
  FeedbackWeight(int configured, int current, const FeedbackConfig& cfg)
      : cfg_(cfg), configured_(configured), weight_(current), applied_(current) {}

  // Feeds one aggregate load; returns the new integer weight when it differs from the last one
  // returned (or the configured one).
  std::optional<int> OnLoad(double aggregate);
  // Back to the configured weight (LVS: when every server of a service fell below its
  // default). Returns it when that changes the applied weight.
  std::optional<int> Reset();

  double weight() const { return weight_; }
  double smoothed_load() const { return load_; }
  int applied() const { return applied_; }
  int configured() const { return configured_; }

 private:
  std::optional<int> Apply();

  FeedbackConfig cfg_;
  int configured_;
  double weight_;
  int applied_;
  double load_ = 0;
  bool have_load_ = false;
};

// True when every weight is below its configured value: then LVS resets them all.
bool AllBelowConfigured(const std::vector<const FeedbackWeight*>& weights);

}  // namespace ipvsd::health
