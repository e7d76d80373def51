#include "base/siphash.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>

namespace ipvsd {
namespace {

// The key 00 01 .. 0f of the reference vectors, read as two little-endian words.
constexpr HashKey kTestKey{{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull}};

std::array<uint8_t, 64> Counting() {
  std::array<uint8_t, 64> in{};
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i);
  return in;
}

TEST(SipHashTest, SipHash24MatchesTheReferenceVectors) {
  // github.com/veorq/SipHash vectors.h (vectors_sip64): SipHash-2-4 of 00 01 .. (len-1) under
  // the key 00 .. 0f; length 15 is the example of the paper's appendix A.
  struct Vector {
    size_t len;
    uint64_t hash;
  };
  constexpr Vector kVectors[] = {
      {0, 0x726fdb47dd0e0e31ull},  {1, 0x74f839c593dc67fdull},  {7, 0xab0200f58b01d137ull},
      {8, 0x93f5f5799a932462ull},  {15, 0xa129ca6149be45e5ull}, {16, 0x3f2acc7f57c29bdbull},
      {40, 0x0e3ea96b5304a7d0ull}, {63, 0x958a324ceb064572ull},
  };
  const auto in = Counting();
  for (const Vector& v : kVectors) {
    EXPECT_EQ((SipHash<2, 4>(std::span(in.data(), v.len), kTestKey)), v.hash) << "length " << v.len;
  }
}

TEST(SipHashTest, SipHash13MatchesTheKernelsHsiphashVectors) {
  // lib/siphash_kunit.c (Linux), test_vectors_hsiphash for BITS_PER_LONG == 64: hsiphash() is
  // SipHash-1-3 truncated to 32 bits there (sched/hsiphash_test.cc checks all 64).
  struct Vector {
    size_t len;
    uint32_t hash;
  };
  constexpr Vector kVectors[] = {
      {0, 0x050fc4dc}, {4, 0x88d38328}, {8, 0x8d299a8e}, {15, 0x2a519956}, {16, 0x7d908b66}, {63, 0xb7bbb3a8},
  };
  const auto in = Counting();
  for (const Vector& v : kVectors) {
    EXPECT_EQ(static_cast<uint32_t>(SipHash13(std::span(in.data(), v.len), kTestKey)), v.hash) << "length " << v.len;
  }
}

TEST(SipHashTest, WordsHashAsTheirLittleEndianBytes) {
  const auto in = Counting();
  const uint64_t w0 = 0x0706050403020100ull, w1 = 0x0f0e0d0c0b0a0908ull, w2 = 0x1716151413121110ull,
                 w3 = 0x1f1e1d1c1b1a1918ull, w4 = 0x2726252423222120ull;
  EXPECT_EQ(SipHash13Words(kTestKey, w0), SipHash13(std::span(in.data(), 8), kTestKey));
  EXPECT_EQ(SipHash13Words(kTestKey, w0, w1), SipHash13(std::span(in.data(), 16), kTestKey));
  EXPECT_EQ(SipHash13Words(kTestKey, w0, w1, w2), SipHash13(std::span(in.data(), 24), kTestKey));
  EXPECT_EQ(SipHash13Words(kTestKey, w0, w1, w2, w3, w4), SipHash13(std::span(in.data(), 40), kTestKey));
  // constexpr, so that fixed keys (mh's) and their hashes can be compile-time constants.
  static_assert(SipHash13Words(HashKey{{1, 2}}, uint64_t{3}) != SipHash13Words(HashKey{{1, 3}}, uint64_t{3}));
}

TEST(SipHashTest, RandomKeysDiffer) {
  std::set<std::pair<uint64_t, uint64_t>> keys;
  for (int i = 0; i < 16; ++i) {
    const HashKey k = RandomHashKey();
    keys.emplace(k.k[0], k.k[1]);
  }
  EXPECT_EQ(keys.size(), 16u);
}

}  // namespace
}  // namespace ipvsd
