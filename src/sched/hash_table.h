// File: sched/hash_table.h
//
// What dh and sh share (kernel: ip_vs_dh.c, ip_vs_sh.c): a 256-bucket table of destinations
// (CONFIG_IP_VS_{DH,SH}_TAB_BITS = 8) indexed by the kernel's hash_32() of an address folded
// to 32 bits, i.e. the top 8 bits of fold * GOLDEN_RATIO_32 (include/linux/hash.h). Current
// kernels use hash_32 for dh, sh, lblc and lblcr; before it, (fold * 2654435761) & mask kept
// the low bits instead.
#pragma once

#include <cstdint>

namespace ipvsd::sched {

inline constexpr int kHashTableBits = 8;
inline constexpr uint32_t kHashTableSize = 1u << kHashTableBits;

// include/linux/hash.h hash_32(): multiplicative hashing, keeping the high bits.
constexpr uint32_t Hash32(uint32_t value, int bits) { return (value * 0x61c88647u) >> (32 - bits); }

}  // namespace ipvsd::sched
