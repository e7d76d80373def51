// File: health/checker_state.h
//
// One checker's up/down decision, as keepalived's *_epilog functions take it (check_tcp.c
// tcp_epilog): a success brings a down checker up at once; a failure of an up checker is
// retried `retry` times, delay_before_retry apart, and only the last failure in that row
// takes it down, so a server goes down after retry + 1 consecutive failed attempts. Between
// rounds the checker waits delay_loop. Pure logic on caller-supplied time, so the schedule is
// unit-tested with a fake clock; the I/O lives in health/probe.h.
#pragma once

#include <cstdint>

#include "health/config.h"

namespace ipvsd::health {

enum class CheckTransition : uint8_t { kNone, kWentUp, kWentDown };

inline uint64_t SecondsToNs(double s) { return static_cast<uint64_t>(s * 1e9); }

class CheckerState {
 public:
  CheckerState(const CheckerConfig& cfg, bool initially_up) : cfg_(cfg), up_(initially_up) {}

  struct Step {
    CheckTransition transition;
    uint64_t next_due_ns;
  };
  // Feeds the outcome of the attempt that finished at NOW_NS.
  Step OnResult(bool success, uint64_t now_ns);

  bool up() const { return up_; }
  int retries_done() const { return retry_it_; }
  // Failed attempts since the last success (keeps counting while the checker is down).
  int consecutive_failures() const { return failures_; }
  const CheckerConfig& config() const { return cfg_; }

 private:
  CheckerConfig cfg_;
  bool up_;
  int retry_it_ = 0;
  int failures_ = 0;
};

}  // namespace ipvsd::health
