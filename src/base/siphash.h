// File: base/siphash.h
//
// SipHash (Aumasson, Bernstein: "SipHash: a fast short-input PRF", 2012) under a secret
// 128-bit key, for every hash table whose keys the network chooses: connections, persistence
// templates, locality caches, next hops, services. Without a secret, whoever knows the hash
// can pick keys that all land in one bucket and turn each lookup into a walk of the whole
// table (hash flooding). A seed mixed into an unkeyed hash does not stop that when the keys
// that collide stay the same whatever the seed (the seed XORed in next to the attacker's
// bits, then an invertible mix); a PRF's collisions are unpredictable without the key.
//
// SipHash13 is SipHash-1-3: one round per 64-bit word, three to finish. It is what the
// kernel's hsiphash() computes on 64-bit machines and what Rust's HashMap uses: strong enough
// against flooding, about twice as fast as the SipHash-2-4 MAC. Two forms compute the same
// function: over a byte string, and over a fixed number of 64-bit words (the little-endian
// bytes of the words), which inlines to straight-line code with no loads or tail handling:
// the form of the per-packet lookups, 2 words for an IPv4 tuple, 5 for IPv6. O(words), no
// allocation.
//
//   const HashKey key = RandomHashKey();   // once per table, at start-up
//   uint64_t h = SipHash13Words(key, addr_lo, addr_hi, ports);
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ipvsd {

// Two little-endian 64-bit halves, as the reference code reads its 16 key bytes.
struct HashKey {
  uint64_t k[2];
  friend bool operator==(const HashKey&, const HashKey&) = default;
};

// 16 bytes from the kernel's random pool (getrandom; blocks only until the pool is
// initialised, early in boot). Call at start-up, never per packet.
HashKey RandomHashKey();

namespace siphash_internal {

struct State {
  uint64_t v0, v1, v2, v3;

  constexpr explicit State(const HashKey& key)
      // "somepseudorandomlygeneratedbytes", keyed.
      : v0(0x736f6d6570736575ull ^ key.k[0]),
        v1(0x646f72616e646f6dull ^ key.k[1]),
        v2(0x6c7967656e657261ull ^ key.k[0]),
        v3(0x7465646279746573ull ^ key.k[1]) {}

  constexpr void Round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  template <int kRounds>
  constexpr void Compress(uint64_t m) {
    v3 ^= m;
    for (int i = 0; i < kRounds; ++i) Round();
    v0 ^= m;
  }
  template <int kRounds>
  constexpr uint64_t Finish() {
    v2 ^= 0xff;
    for (int i = 0; i < kRounds; ++i) Round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

constexpr uint64_t LoadLe(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace siphash_internal

// SipHash-c-d of a byte string: the reference definition (SipHash13 below for tables; other
// round counts only to check against the published SipHash-2-4 vectors).
template <int kCompressionRounds, int kFinalRounds>
constexpr uint64_t SipHash(std::span<const uint8_t> data, const HashKey& key) {
  siphash_internal::State s(key);
  const size_t full = data.size() & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) {
    s.Compress<kCompressionRounds>(siphash_internal::LoadLe(data.data() + i, 8));
  }
  // The last block: the remaining bytes, and the length (mod 256) in the top byte.
  s.Compress<kCompressionRounds>(uint64_t{data.size()} << 56 |
                                 siphash_internal::LoadLe(data.data() + full, data.size() - full));
  return s.Finish<kFinalRounds>();
}

constexpr uint64_t SipHash13(std::span<const uint8_t> data, const HashKey& key) { return SipHash<1, 3>(data, key); }

// SipHash13 of the 8 * sizeof...(words) little-endian bytes of `words`.
constexpr uint64_t SipHash13Words(const HashKey& key, std::same_as<uint64_t> auto... words) {
  siphash_internal::State s(key);
  (s.Compress<1>(words), ...);
  s.Compress<1>(uint64_t{8 * sizeof...(words)} << 56);
  return s.Finish<3>();
}

}  // namespace ipvsd
