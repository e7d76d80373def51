// File: base/hash.h
//
// Small, fast, non-cryptographic hashing for the connection table and flow steering.
// Mix64 is the finaliser of SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom
// number generators", 2014): every input bit affects every output bit.
#pragma once

#include <cstdint>

namespace ipvsd {

constexpr uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

constexpr uint64_t HashCombine(uint64_t seed, uint64_t v) {
  return Mix64(seed ^ (v + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2)));
}

}  // namespace ipvsd
