// File: sched/flow_port.h
//
// The port sh-port and mh-port mix into their hash (kernel: ip_vs_sh_get_port() and
// ip_vs_mh_get_port()): the client's source port for TCP, UDP and SCTP, whose first four
// header bytes are the two ports; 0 for every other protocol.
#pragma once

#include <cstdint>

#include "core/scheduler.h"

namespace ipvsd::sched {

inline uint16_t HashedSourcePort(const core::FlowKey& flow) {
  constexpr uint8_t kTcp = 6;
  constexpr uint8_t kUdp = 17;
  constexpr uint8_t kSctp = 132;
  return (flow.protocol == kTcp || flow.protocol == kUdp || flow.protocol == kSctp) ? flow.sport : 0;
}

}  // namespace ipvsd::sched
