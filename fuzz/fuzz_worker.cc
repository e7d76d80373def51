// File: fuzz/fuzz_worker.cc
//
// The worker's whole burst path (dataplane::Worker::Process: parse, connection lookup both
// ways, scheduling, state machine, NAT/DR/TUN rewrite, ICMP errors, next hop; then its
// timers) over frames from both sides of the director of fuzz/director.h: frames to the
// virtual services from clients and replies from the real servers.
//
// Input: one byte of sysctls (fuzz/director.h ApplySettings), then records (fuzz/records.h),
// each one frame:
//   tag bit 0     arrives on interface 2 (the real servers' side) instead of 1 (clients')
//   tag bit 1     carries firewall mark 1
//   tag bit 2     arrives as a TCP aggregate with a partial checksum (AF_PACKET --gso)
//   tag bit 3     the burst ends after this frame (it also ends after kMaxBurst frames)
//   tag bits 4-7  n: after the burst the clock moves 2^(n-1) * 100 ms (n = 0: not at all)
//
// Every input gets a fresh worker and ends with every connection expired; no real server
// may still count one then (fuzz/director.h ExpireAll).
#include <cstdint>
#include <vector>

#include "base/log.h"
#include "dataplane/worker.h"
#include "fuzz/director.h"
#include "fuzz/records.h"
#include "net/frame.h"

namespace {

namespace core = ipvsd::core;
namespace dataplane = ipvsd::dataplane;
namespace fuzz = ipvsd::fuzz;
namespace net = ipvsd::net;

constexpr uint8_t kTagServerSide = 0x01;
constexpr uint8_t kTagMark = 0x02;
constexpr uint8_t kTagOffload = 0x04;
constexpr uint8_t kTagEndBurst = 0x08;
constexpr uint16_t kGsoSize = 536;
constexpr uint8_t kGsoTcpV4 = 1;  // virtio-net's gso_type values
constexpr uint8_t kGsoTcpV6 = 4;
constexpr size_t kEthHeader = 14;

class Bursts {
 public:
  explicit Bursts(ipvsd::testing::DataPlane& dp) : dp_(dp), w_(dp) {}

  void Add(const fuzz::Record& r) {
    dp_.io_.Inject(std::vector<uint8_t>(r.body.begin(), r.body.end()), (r.tag & kTagServerSide) ? 2 : 1,
                   (r.tag & kTagMark) ? fuzz::kFwmark : 0);
    tags_.push_back(r.tag);
    if ((r.tag & kTagEndBurst) || tags_.size() == net::kMaxBurst) Flush();
  }

  void Flush() {
    if (tags_.empty()) return;
    std::vector<net::Frame> frames(tags_.size());
    fuzz::Check(dp_.io_.Receive(frames) == frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      if (tags_[i] & kTagOffload) SetOffload(frames[i]);
    }
    std::vector<dataplane::Verdict> verdicts(frames.size());
    w_.worker().Process(frames, verdicts);
    for (const net::Frame& f : frames) fuzz::Check(f.offset + f.len <= f.capacity);
    dp_.io_.Drop(frames);
    // Drain what the sync rules queued for a master, as the master thread would.
    core::SyncRecord out[net::kMaxBurst];
    while (w_.worker().PopSyncOut(out) != 0) {
    }
    w_.Advance(tags_.back() >> 4);
    tags_.clear();
  }

  void Finish() {
    Flush();
    w_.ExpireAll();
  }

 private:
  // As the kernel hands over a TCP aggregate; which TCP it cut is guessed from the IP version
  // nibble after an untagged Ethernet header.
  static void SetOffload(net::Frame& f) {
    f.gso_size = kGsoSize;
    f.gso_type = (f.len > kEthHeader && (f.data()[kEthHeader] >> 4) == 6) ? kGsoTcpV6 : kGsoTcpV4;
    f.csum_partial = true;
  }

  ipvsd::testing::DataPlane& dp_;
  fuzz::FreshWorker w_;
  std::vector<uint8_t> tags_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ipvsd::SetLogLevel(ipvsd::LogLevel::kOff);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return -1;
  ipvsd::testing::DataPlane& dp = fuzz::Director();
  fuzz::ApplySettings(dp.settings_, data[0]);
  Bursts bursts(dp);
  fuzz::RecordReader records(data + 1, size - 1);
  fuzz::Record r;
  while (records.Next(&r)) bursts.Add(r);
  bursts.Finish();
  return 0;
}
