// File: sync/sync_receiver.h
//
// What a backup makes of one received datagram, with the kernel's checks in its order
// (ip_vs_process_message): shorter than 4 bytes, a size field other than the datagram's
// length, a syncid other than its own (its own 0 accepts every syncid), an entry the codec
// rejects. With a key (sync_auth.h) the tag is checked first, then whether the datagram is a
// replay. A pull request (pull_request.h) is recognised before the size check, which a kernel
// receiver fails it on.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/conn_sync.h"
#include "sync/pull_request.h"
#include "sync/sync_auth.h"

namespace ipvsd::sync {

enum class DatagramKind : uint8_t {
  kConns = 0,        // a message: `conns` holds what to install
  kPullRequest,      // `pull` holds it
  kShort,            // drops from here on, by reason
  kSizeMismatch,
  kWrongSyncid,
  kMalformed,
  kUnauthenticated,  // no tag or a wrong one, when a key is set
  kReplayed,         // authentic, but seen before or from an earlier run of its sender
  kCount
};
inline constexpr int kDatagramKindCount = static_cast<int>(DatagramKind::kCount);
const char* DatagramKindName(DatagramKind k);

struct ReceivedDatagram {
  DatagramKind kind = DatagramKind::kMalformed;
  std::vector<core::SyncRecord> conns;
  uint32_t skipped = 0;  // entries the codec or ipvsd could not take (unknown options, PE data)
  PullRequest pull;
};

// Without authentication (no key) `replay` and `from` are not used.
struct Authentication {
  const SyncKey* key = nullptr;
  ReplayWindow* replay = nullptr;
  net::IpAddr from;  // the datagram's sender
};
ReceivedDatagram ReadDatagram(std::span<const uint8_t> datagram, uint8_t syncid, const Authentication& auth = {});

}  // namespace ipvsd::sync
