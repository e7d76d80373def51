// File: sched/hsiphash.cc
//
// SipHash-1-3 truncated to 32 bits (see hsiphash.h; kernel: lib/siphash.c, BITS_PER_LONG == 64).
#include "sched/hsiphash.h"

#include <bit>

namespace ipvsd::sched {
namespace {

struct SipState {
  uint64_t v0, v1, v2, v3;

  void Round() {
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
};

uint64_t LoadLe(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

uint32_t Hsiphash(std::span<const uint8_t> data, const HsiphashKey& key) {
  // The initial state is the ASCII of "somepseudorandomlygeneratedbytes", keyed.
  SipState s{0x736f6d6570736575ull ^ key.key[0], 0x646f72616e646f6dull ^ key.key[1],
             0x6c7967656e657261ull ^ key.key[0], 0x7465646279746573ull ^ key.key[1]};
  const size_t full = data.size() & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) {
    const uint64_t m = LoadLe(data.data() + i, 8);
    s.v3 ^= m;
    s.Round();  // c = 1 compression round
    s.v0 ^= m;
  }
  const uint64_t b = (uint64_t{data.size()} << 56) | LoadLe(data.data() + full, data.size() - full);
  s.v3 ^= b;
  s.Round();
  s.v0 ^= b;
  s.v2 ^= 0xff;
  s.Round();  // d = 3 finalisation rounds
  s.Round();
  s.Round();
  return static_cast<uint32_t>(s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
}

}  // namespace ipvsd::sched
