// File: base/clock.h
//
// Time comes from an injected Clock so that timeouts, persistence and the rate estimator
// are testable: production code uses MonotonicClock, tests a FakeClock they advance by hand.
// The data plane reads the clock once per batch and works in Ticks (1/16 s), the unit of
// connection expiry: fine enough for the shortest IPVS timeouts (2 s), and a uint32_t of them
// lasts eight years.
#pragma once

#include <atomic>
#include <cstdint>

namespace ipvsd {

using Ticks = uint32_t;
inline constexpr uint32_t kTicksPerSecond = 16;
inline constexpr uint64_t kNsPerTick = 1'000'000'000ull / kTicksPerSecond;

constexpr Ticks SecondsToTicks(uint32_t seconds) { return seconds * kTicksPerSecond; }
// Rounded up, as the kernel reports the remaining time of a connection in whole seconds.
constexpr uint32_t TicksToSecondsCeil(Ticks t) { return (t + kTicksPerSecond - 1) / kTicksPerSecond; }

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since an arbitrary, fixed origin; never goes backwards.
  virtual uint64_t NowNs() const = 0;
  Ticks NowTicks() const { return static_cast<Ticks>(NowNs() / kNsPerTick); }
};

class MonotonicClock final : public Clock {
 public:
  uint64_t NowNs() const override;
};

// A clock that moves only when told to. Safe to read from other threads.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(uint64_t start_ns = 0) : now_ns_(start_ns) {}
  uint64_t NowNs() const override { return now_ns_.load(std::memory_order_relaxed); }
  void AdvanceNs(uint64_t ns) { now_ns_.fetch_add(ns, std::memory_order_relaxed); }
  void AdvanceSeconds(uint64_t s) { AdvanceNs(s * 1'000'000'000ull); }

 private:
  std::atomic<uint64_t> now_ns_;
};

}  // namespace ipvsd
