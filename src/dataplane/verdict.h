// File: dataplane/verdict.h
//
// What a worker decided for one frame.
#pragma once

#include <cstdint>

namespace ipvsd::dataplane {

enum class Verdict : uint8_t {
  kTx,       // rewritten; transmit on Frame::ifindex
  kPass,     // not ipvsd's business: the kernel's
  kDrop,     // counted by reason
  kHandoff,  // its connection lives with another worker (dataplane/handoff.h)
};

}  // namespace ipvsd::dataplane
