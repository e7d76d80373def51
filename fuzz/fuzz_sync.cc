// File: fuzz/fuzz_sync.cc
//
// A sync backup's receive path: each datagram goes through the codec (DecodeSyncMessage,
// version 1 and 0, and the pull request), then as a backup reads it (sync::ReadDatagram with
// its syncid, and optionally the HMAC key and replay window), and the connections it yields
// are installed by a worker
// of the director of fuzz/director.h (Worker::PushSyncIn + InstallSynced ->
// core::InstallSyncConn), whose timers then run over them.
//
// Input: records (fuzz/records.h), each one datagram:
//   tag bit 0     the backup has a key, and the harness signs the datagram with it, numbered
//                 as one sender's stream (so that the message behind a valid tag is what gets
//                 fuzzed)
//   tag bits 1-2  the backup's syncid: 0 (takes every syncid), 1, 7 or 255
//   tag bit 3     with bit 0: signed with the sequence number of the previous signed datagram,
//                 a replay the backup must refuse
//   tag bits 4-7  n: afterwards the clock moves 2^(n-1) * 100 ms (n = 0: not at all)
//
// Checked beyond the sanitizers: the backup refuses exactly the replays; a decoded message
// re-encodes (SyncMessageBuilder) to one that decodes to the same connections, a decoded pull
// request to one with the same fields; every input ends with every installed connection
// expired and no real server still counting one (fuzz/director.h ExpireAll).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/log.h"
#include "fuzz/director.h"
#include "fuzz/records.h"
#include "sync/pull_request.h"
#include "sync/sync_auth.h"
#include "sync/sync_message.h"
#include "sync/sync_receiver.h"

namespace {

namespace fuzz = ipvsd::fuzz;
namespace sync = ipvsd::sync;

constexpr uint8_t kTagSigned = 0x01;
constexpr uint8_t kTagReplay = 0x08;
constexpr uint8_t kSyncids[] = {0, 1, 7, 255};
constexpr size_t kMaxMessage = 0xffff;  // the u16 size field
const ipvsd::net::IpAddr kSender = *ipvsd::net::IpAddr::Parse("198.18.0.254");

void CheckCodecRoundTrip(std::span<const uint8_t> datagram) {
  // The decoder ignores the reserved bytes, so the round trip is of the fields.
  if (std::optional<sync::PullRequest> pull = sync::DecodePullRequest(datagram)) {
    fuzz::Check(sync::DecodePullRequest(sync::EncodePullRequest(*pull)) == pull);
  }
  ipvsd::Result<sync::SyncMessage> m = sync::DecodeSyncMessage(datagram);
  if (!m) return;
  sync::SyncMessageBuilder builder(m->syncid, kMaxMessage);
  for (const sync::SyncConn& c : m->conns) fuzz::Check(builder.Add(c));
  std::vector<uint8_t> bytes = builder.Finish();
  if (m->conns.empty()) return;  // an empty builder's message is not one the decoder must take
  ipvsd::Result<sync::SyncMessage> again = sync::DecodeSyncMessage(bytes);
  fuzz::Check(again.ok() && again->conns == m->conns && again->skipped == 0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ipvsd::SetLogLevel(ipvsd::LogLevel::kOff);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sync::SyncKey key(std::vector<uint8_t>(32, 'k'));
  ipvsd::testing::DataPlane& dp = fuzz::Director();
  fuzz::ApplySettings(dp.settings_, 0);
  fuzz::FreshWorker w(dp);
  sync::SyncSequencer sender(/*epoch=*/1);
  sync::ReplayWindow window;
  sync::SyncSeq last;
  fuzz::RecordReader records(data, size);
  fuzz::Record r;
  while (records.Next(&r)) {
    CheckCodecRoundTrip(r.body);
    const bool keyed = r.tag & kTagSigned;
    const bool replay = keyed && (r.tag & kTagReplay) && last.seq != 0;
    if (keyed && !replay) last = sender.Next();
    std::vector<uint8_t> datagram = keyed ? key.Sign(r.body, last) : std::vector<uint8_t>(r.body.begin(), r.body.end());
    const uint8_t syncid = kSyncids[(r.tag >> 1) & 0x03];
    sync::Authentication auth;
    if (keyed) auth = sync::Authentication{&key, &window, kSender};
    sync::ReceivedDatagram d = sync::ReadDatagram(datagram, syncid, auth);
    fuzz::Check(d.kind != sync::DatagramKind::kUnauthenticated);
    fuzz::Check(replay == (d.kind == sync::DatagramKind::kReplayed));
    for (const ipvsd::core::SyncRecord& rec : d.conns) fuzz::Check(w.worker().PushSyncIn(rec));
    w.worker().InstallSynced(w.clock().NowTicks());
    w.Advance(r.tag >> 4);
  }
  w.ExpireAll();
  return 0;
}
