// File: io/af_xdp/xdp_flows.h
//
// The bytes of a flow-offload map entry (xdp_maps.h) for a FlowRule (io/flow_offload.h): one
// encoding for XdpProgram, which writes the entries, and the tests that run the program on
// packets (xdp_test_run.h).
#pragma once

#include "io/af_xdp/xdp_maps.h"
#include "io/flow_offload.h"

namespace ipvsd::io {

ipvsd_flow_key EncodeFlowKey(const FlowKey& key);
// The action half; the counters start at zero and last_seen_ns at `now_ns` (CLOCK_MONOTONIC).
ipvsd_flow EncodeFlow(const FlowRule& rule, uint64_t now_ns);

}  // namespace ipvsd::io
