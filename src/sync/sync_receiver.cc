#include "sync/sync_receiver.h"

#include "sync/sync_record.h"

namespace ipvsd::sync {
namespace {

constexpr size_t kMinDatagram = 4;  // the version-0 header

bool SyncidAccepted(uint8_t mine, uint8_t theirs) { return mine == 0 || mine == theirs; }

}  // namespace

const char* DatagramKindName(DatagramKind k) {
  switch (k) {
    case DatagramKind::kConns: return "conns";
    case DatagramKind::kPullRequest: return "pull_request";
    case DatagramKind::kShort: return "short";
    case DatagramKind::kSizeMismatch: return "size_mismatch";
    case DatagramKind::kWrongSyncid: return "wrong_syncid";
    case DatagramKind::kMalformed: return "malformed";
    case DatagramKind::kUnauthenticated: return "unauthenticated";
    case DatagramKind::kReplayed: return "replayed";
    case DatagramKind::kCount: break;
  }
  return "?";
}

ReceivedDatagram ReadDatagram(std::span<const uint8_t> datagram, uint8_t syncid, const Authentication& auth) {
  ReceivedDatagram out;
  if (auth.key) {
    auto verified = auth.key->Verify(datagram);
    if (!verified) {
      out.kind = DatagramKind::kUnauthenticated;
      return out;
    }
    if (auth.replay && !auth.replay->Accept(auth.from, verified->seq)) {
      out.kind = DatagramKind::kReplayed;
      return out;
    }
    datagram = verified->datagram;
  }
  if (datagram.size() < kMinDatagram) {
    out.kind = DatagramKind::kShort;
    return out;
  }
  if (auto pull = DecodePullRequest(datagram)) {
    out.kind = SyncidAccepted(syncid, pull->syncid) ? DatagramKind::kPullRequest : DatagramKind::kWrongSyncid;
    out.pull = *pull;
    return out;
  }
  size_t size = static_cast<size_t>(datagram[2]) << 8 | datagram[3];
  if (size != datagram.size()) {
    out.kind = DatagramKind::kSizeMismatch;
    return out;
  }
  if (!SyncidAccepted(syncid, datagram[1])) {
    out.kind = DatagramKind::kWrongSyncid;
    return out;
  }
  auto msg = DecodeSyncMessage(datagram);
  if (!msg) {
    out.kind = DatagramKind::kMalformed;
    return out;
  }
  out.kind = DatagramKind::kConns;
  out.skipped = static_cast<uint32_t>(msg->skipped);
  out.conns.reserve(msg->conns.size());
  for (const SyncConn& c : msg->conns) {
    if (auto r = ToSyncRecord(c)) {
      out.conns.push_back(*r);
    } else {
      ++out.skipped;
    }
  }
  return out;
}

}  // namespace ipvsd::sync
