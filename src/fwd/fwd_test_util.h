// File: fwd/fwd_test_util.h
//
// Helpers shared by the fwd/ golden tests (test-only, never compiled into ipvsd_fwd): a frame
// with headroom built from PacketBuilder bytes, parsed as the worker parses it, and the
// comparison every golden row ends with -- the output frame byte for byte against the
// expected one, plus the independent checksum walk of testing/checksum_verify.h.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "core/dest.h"
#include "net/frame.h"
#include "net/ip_addr.h"
#include "net/packet_view.h"

// check_layering.sh reads every quoted #include under src/ as a layer dependency; the shared
// test helpers live outside the layers, hence the angle brackets.
#include <tests/testing/checksum_verify.h>
#include <tests/testing/hex.h>
#include <tests/testing/packet_builder.h>

namespace ipvsd::fwd::testing {

// A frame as an I/O backend hands it over: `headroom` free bytes in front of the packet.
class TestFrame {
 public:
  explicit TestFrame(const std::vector<uint8_t>& bytes, uint32_t headroom = net::kFrameHeadroom)
      : buffer_(headroom + bytes.size() + kTailroom) {
    std::copy(bytes.begin(), bytes.end(), buffer_.begin() + headroom);
    frame_.buffer = buffer_.data();
    frame_.offset = headroom;
    frame_.len = static_cast<uint32_t>(bytes.size());
    frame_.capacity = static_cast<uint32_t>(buffer_.size());
  }
  TestFrame(const TestFrame&) = delete;
  TestFrame& operator=(const TestFrame&) = delete;

  net::Frame& frame() { return frame_; }
  // net::Parse's view of the current frame; fails the test unless it parses.
  net::PacketView Parse() {
    net::PacketView v;
    net::ParseStatus st = net::Parse(frame_.data(), frame_.len, &v);
    EXPECT_EQ(st, net::ParseStatus::kOk);
    return v;
  }
  std::vector<uint8_t> Bytes() const { return {frame_.data(), frame_.data() + frame_.len}; }

 private:
  static constexpr size_t kTailroom = 64;
  std::vector<uint8_t> buffer_;
  net::Frame frame_;
};

// Every tunnel a destination can ask for (ipvsadm --tun-type, --tun-nocsum/--tun-csum/
// --tun-remcsum), named as the golden cases name them.
struct TunKind {
  const char* name;
  core::TunType type;
  core::TunCsum csum;
};
inline constexpr TunKind kTunKinds[] = {
    {"ipip", core::TunType::kIpip, core::TunCsum::kNoCsum},
    {"gue_nocsum", core::TunType::kGue, core::TunCsum::kNoCsum},
    {"gue_csum", core::TunType::kGue, core::TunCsum::kCsum},
    {"gue_remcsum", core::TunType::kGue, core::TunCsum::kRemCsum},
    {"gre_nocsum", core::TunType::kGre, core::TunCsum::kNoCsum},
    {"gre_csum", core::TunType::kGre, core::TunCsum::kCsum},
};

inline net::RawAddr Addr(const char* text) {
  Result<net::IpAddr> a = net::IpAddr::Parse(text);
  EXPECT_TRUE(a.ok()) << text;
  return a->raw;
}

// The golden comparison: same bytes, and checksums that an independent walk accepts.
inline void ExpectFrame(const std::vector<uint8_t>& expected, const std::vector<uint8_t>& actual) {
  EXPECT_EQ(expected, actual) << ipvsd::testing::DiffDump(expected, actual);
  EXPECT_TRUE(ipvsd::testing::Ipv4HeaderChecksumOk(actual)) << ipvsd::testing::ToHex(actual.data(), actual.size());
  EXPECT_TRUE(ipvsd::testing::L4ChecksumOk(actual)) << ipvsd::testing::ToHex(actual.data(), actual.size());
}

}  // namespace ipvsd::fwd::testing
