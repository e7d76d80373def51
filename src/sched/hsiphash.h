// File: sched/hsiphash.h
//
// The kernel's hsiphash() as a 64-bit Linux computes it, for the mh scheduler's table and
// lookups. lib/siphash.c: "on 64-bit, we make HalfSipHash1-3 actually be SipHash1-3": the key
// (hsiphash_key_t) is two unsigned longs, i.e. 128 bits, the message is read as little-endian
// 64-bit words with the length in the top byte of the last word, there is one compression and
// three finalisation rounds, and the 64-bit result is truncated to u32: base's SipHash13,
// truncated. A 32-bit kernel runs the real HalfSipHash-1-3 and maps flows differently; we
// match the 64-bit little-endian kernels every current deployment runs.
//
// Checked against the kernel's own vectors (lib/siphash_kunit.c, test_vectors_hsiphash for
// BITS_PER_LONG == 64) in hsiphash_test.cc.
//
//   HsiphashKey key{{2654435761u, 2654435761u}};
//   uint32_t h = Hsiphash(bytes, key);
#pragma once

#include <cstdint>
#include <span>

#include "base/siphash.h"

namespace ipvsd::sched {

using HsiphashKey = HashKey;

// SipHash-1-3 of `data` under `key`, low 32 bits. O(len).
constexpr uint32_t Hsiphash(std::span<const uint8_t> data, const HsiphashKey& key) {
  return static_cast<uint32_t>(SipHash13(data, key));
}

}  // namespace ipvsd::sched
