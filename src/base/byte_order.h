// File: base/byte_order.h
//
// 32-bit big-endian (network order) loads and stores at any alignment, for wire formats read
// byte by byte (TCP options, ipvsd's own sync extensions); headers with fixed layouts use
// net::Be32 instead.
#pragma once

#include <cstdint>

namespace ipvsd {

inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

inline void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace ipvsd
