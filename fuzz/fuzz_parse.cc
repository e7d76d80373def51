// File: fuzz/fuzz_parse.cc
//
// net::Parse() on one frame: the whole input is the Ethernet frame. Beyond the sanitizers,
// the harness checks the promises of net/packet_view.h that the data plane relies on without
// checking again: on kOk (and on kFragment / kBadL4Header for the L3 fields) every offset
// lies within the frame in order, an ICMP error's quoted packet lies within the outer one,
// and Parse never writes to the frame.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "net/packet_view.h"

namespace {

using ipvsd::net::Family;
using ipvsd::net::PacketView;
using ipvsd::net::ParseStatus;

// A broken promise is a finding: abort, so libFuzzer saves the input.
void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckL3(const PacketView& v) {
  Check(v.family == Family::kInet || v.family == Family::kInet6);
  Check(v.l3_offset <= v.l4_offset && v.l4_offset <= v.l3_end && v.l3_end <= v.len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Frames come from buffers of at most 64 KB plus headroom; anything longer cannot arrive.
  if (size > 0x20000) return -1;
  // A copy of exactly `size` bytes, so ASan sees any read past the frame's end.
  std::vector<uint8_t> frame(data, data + size);
  PacketView v;
  const ParseStatus status = ipvsd::net::Parse(frame.data(), static_cast<uint32_t>(size), &v);
  Check(size == 0 || std::memcmp(frame.data(), data, size) == 0);
  Check(v.data == frame.data() && v.len == size);
  switch (status) {
    case ParseStatus::kOk:
      CheckL3(v);
      if (v.icmp_error) {
        const auto& in = v.inner;
        Check(in.family == v.family);
        Check(in.l3_offset >= v.l4_offset + 8u && in.l3_offset < in.l4_offset);
        Check(in.l4_offset + 8u <= v.l3_end);
      }
      break;
    case ParseStatus::kFragment:
    case ParseStatus::kBadL4Header:
      CheckL3(v);
      break;
    case ParseStatus::kNotIp:
    case ParseStatus::kTruncated:
    case ParseStatus::kBadIpHeader:
      break;
  }
  return 0;
}
