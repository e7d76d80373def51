// File: sched/registry.h
//
// Makes a scheduler by its ipvsadm name (-s rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh|
// twos) from one explicit table, instead of the kernel's list that modules register into at
// load time. Unknown names fail with ENOENT, the errno kernel IPVS returns and ipvsadm prints
// as "Scheduler not found".
//
//   Result<std::unique_ptr<core::Scheduler>> s = MakeScheduler("mh", core::kSvcSched1);
//   if (!s) return s.error();
//   (*s)->OnDestsChanged(dests);
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "base/result.h"
#include "core/scheduler.h"

namespace ipvsd::sched {

// A new scheduler for one service. `svc_flags` are the service's IP_VS_SVC_F_* flags; sh and mh
// read kSvcSched1 (fallback) and kSvcSched2 (port), the others ignore them.
Result<std::unique_ptr<core::Scheduler>> MakeScheduler(std::string_view name, uint32_t svc_flags);

bool IsKnownScheduler(std::string_view name);

// Every scheduler name, in the order ipvsadm's help lists them.
std::span<const std::string_view> SchedulerNames();

}  // namespace ipvsd::sched
