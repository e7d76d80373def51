#include "core/estimator.h"

namespace ipvsd::core {
namespace {
void Fold(int64_t& avg, uint64_t delta, int shift) {
  int64_t rate = static_cast<int64_t>(delta << shift);
  avg += (rate - avg) >> 2;
}
}  // namespace

void RateEstimator::Tick(const StatsValues& now) {
  StatsValues d = now - last_;
  last_ = now;
  Fold(cps_, d.conns, 9);
  Fold(inpps_, d.inpkts, 9);
  Fold(outpps_, d.outpkts, 9);
  Fold(inbps_, d.inbytes, 4);
  Fold(outbps_, d.outbytes, 4);
}

void RateEstimator::Reset(const StatsValues& now) {
  last_ = now;
  cps_ = inpps_ = outpps_ = inbps_ = outbps_ = 0;
}

RateValues RateEstimator::Read() const {
  RateValues r;
  r.cps = static_cast<uint64_t>(cps_ + 0x1FF) >> 10;
  r.inpps = static_cast<uint64_t>(inpps_ + 0x1FF) >> 10;
  r.outpps = static_cast<uint64_t>(outpps_ + 0x1FF) >> 10;
  r.inbps = static_cast<uint64_t>(inbps_ + 0xF) >> 5;
  r.outbps = static_cast<uint64_t>(outbps_ + 0xF) >> 5;
  return r;
}

}  // namespace ipvsd::core
