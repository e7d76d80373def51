// File: core/estimator.h
//
// The kernel's 2-second rate estimator (net/netfilter/ipvs/ip_vs_est.c): every 2 s the
// difference of each counter is scaled (<<9 for conns and packets, i.e. 2^10 per second; <<4
// for bytes, 2^5 per second) and folded into an average with weight 1/4; reading rounds and
// unscales. With a constant 100 conn/s the shown CPS goes 25, 44, 58, 68, ... towards 100.
#pragma once

#include <cstdint>

namespace ipvsd::core {

// The five counters kernel IPVS keeps per service, per destination and in total.
struct StatsValues {
  uint64_t conns = 0;
  uint64_t inpkts = 0;
  uint64_t outpkts = 0;
  uint64_t inbytes = 0;
  uint64_t outbytes = 0;

  StatsValues operator-(const StatsValues& o) const {
    return {conns - o.conns, inpkts - o.inpkts, outpkts - o.outpkts, inbytes - o.inbytes, outbytes - o.outbytes};
  }
  StatsValues& operator+=(const StatsValues& o) {
    conns += o.conns;
    inpkts += o.inpkts;
    outpkts += o.outpkts;
    inbytes += o.inbytes;
    outbytes += o.outbytes;
    return *this;
  }
  friend bool operator==(const StatsValues&, const StatsValues&) = default;
};


struct RateValues {
  uint64_t cps = 0;
  uint64_t inpps = 0;
  uint64_t outpps = 0;
  uint64_t inbps = 0;  // bytes per second, despite the name (as ipvsadm prints)
  uint64_t outbps = 0;
  friend bool operator==(const RateValues&, const RateValues&) = default;
};

class RateEstimator {
 public:
  static constexpr uint32_t kIntervalSeconds = 2;

  // One estimation step with the counters' current totals.
  void Tick(const StatsValues& now);
  // Forgets the averages and restarts from these totals (ipvsadm -Z).
  void Reset(const StatsValues& now);
  RateValues Read() const;

 private:
  StatsValues last_;
  int64_t cps_ = 0;
  int64_t inpps_ = 0;
  int64_t outpps_ = 0;
  int64_t inbps_ = 0;
  int64_t outbps_ = 0;
};

}  // namespace ipvsd::core
