// File: sched/registry.cc
//
// The name -> factory table behind MakeScheduler() (registry.h).
#include "sched/registry.h"

#include <array>
#include <cerrno>
#include <random>
#include <string>

#include "sched/dh.h"
#include "sched/fo.h"
#include "sched/lblc.h"
#include "sched/lblcr.h"
#include "sched/lc.h"
#include "sched/mh.h"
#include "sched/nq.h"
#include "sched/ovf.h"
#include "sched/rr.h"
#include "sched/sed.h"
#include "sched/sh.h"
#include "sched/twos.h"
#include "sched/wlc.h"
#include "sched/wrr.h"

namespace ipvsd::sched {
namespace {

using Factory = std::unique_ptr<core::Scheduler> (*)(uint32_t svc_flags);

struct SchedulerInfo {
  std::string_view name;
  Factory make;
};

template <typename T>
std::unique_ptr<core::Scheduler> Make(uint32_t) {
  return std::make_unique<T>();
}

template <typename T>
std::unique_ptr<core::Scheduler> MakeWithFlags(uint32_t svc_flags) {
  return std::make_unique<T>(svc_flags);
}

std::unique_ptr<core::Scheduler> MakeTwos(uint32_t) {
  // Each service draws its own sequence, as prandom_u32() differs between calls.
  std::random_device entropy;
  return std::make_unique<TwosScheduler>((uint64_t{entropy()} << 32) | entropy());
}

constexpr SchedulerInfo kSchedulers[] = {
    {"rr", &Make<RrScheduler>},          {"wrr", &Make<WrrScheduler>},
    {"lc", &Make<LcScheduler>},          {"wlc", &Make<WlcScheduler>},
    {"lblc", &Make<LblcScheduler>},      {"lblcr", &Make<LblcrScheduler>},
    {"dh", &Make<DhScheduler>},          {"sh", &MakeWithFlags<ShScheduler>},
    {"sed", &Make<SedScheduler>},        {"nq", &Make<NqScheduler>},
    {"fo", &Make<FoScheduler>},          {"ovf", &Make<OvfScheduler>},
    {"mh", &MakeWithFlags<MhScheduler>}, {"twos", &MakeTwos},
};

constexpr auto kNames = [] {
  std::array<std::string_view, std::size(kSchedulers)> names{};
  for (size_t i = 0; i < names.size(); ++i) names[i] = kSchedulers[i].name;
  return names;
}();

const SchedulerInfo* Find(std::string_view name) {
  for (const SchedulerInfo& info : kSchedulers) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<core::Scheduler>> MakeScheduler(std::string_view name, uint32_t svc_flags) {
  const SchedulerInfo* info = Find(name);
  if (info == nullptr) return MakeError(ENOENT, "scheduler not found: " + std::string(name));
  return info->make(svc_flags);
}

bool IsKnownScheduler(std::string_view name) { return Find(name) != nullptr; }

std::span<const std::string_view> SchedulerNames() { return kNames; }

}  // namespace ipvsd::sched
