// File: sync/sync_auth.h
//
// ipvsd's optional authentication of sync datagrams (ipvsd --sync-key-file; off by default,
// so that kernel peers interoperate): after the datagram come the sender's epoch and sequence
// number (8 bytes each, big-endian) and an HMAC-SHA256 tag of all that, keyed with the file's
// bytes. The kernel-format message keeps its own size field (which then covers the message
// alone). A receiver with a key drops, and counts, a datagram too short to hold the trailer or
// whose tag does not match; a kernel receiver drops a tagged message as one whose size field
// disagrees with the datagram's length.
//
// Replays: a tag proves who sent a datagram, not when. The epoch is the sender's start time
// (wall-clock nanoseconds) and the sequence counts its datagrams, so a receiver that
// remembers, per sender, the newest epoch and which of the last 64 sequence numbers it took
// (ReplayWindow, as IPsec's anti-replay window) refuses a datagram seen before, one from an
// earlier run of the sender, and one too old to tell.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/ip_addr.h"

namespace ipvsd::sync {

inline constexpr size_t kSyncTagSize = 32;
// Everything authentication adds to a datagram: epoch, sequence number and tag.
inline constexpr size_t kSyncAuthSize = 16 + kSyncTagSize;
inline constexpr size_t kMinSyncKeySize = 16;

// Where a signed datagram stands in its sender's stream.
struct SyncSeq {
  uint64_t epoch = 0;  // the sender's start, wall-clock ns
  uint64_t seq = 0;    // 1, 2, ... within the epoch
  friend bool operator==(const SyncSeq&, const SyncSeq&) = default;
};

// Numbers one sender's datagrams (any thread).
class SyncSequencer {
 public:
  SyncSequencer();
  explicit SyncSequencer(uint64_t epoch) : epoch_(epoch) {}
  SyncSeq Next() { return SyncSeq{epoch_, next_.fetch_add(1, std::memory_order_relaxed)}; }

 private:
  uint64_t epoch_;
  std::atomic<uint64_t> next_{1};
};

// Remembers, for up to max_senders senders (the least recently heard one makes room), the
// newest epoch and a 64-entry window of sequence numbers. Accept() is true, and remembers the
// datagram, when it is new: a later epoch, or a sequence number ahead of the window or in it
// and not seen yet. One thread.
class ReplayWindow {
 public:
  static constexpr uint64_t kWindow = 64;
  explicit ReplayWindow(size_t max_senders = 256) : max_senders_(max_senders) {}
  bool Accept(const net::IpAddr& sender, SyncSeq s);

 private:
  struct Sender {
    net::IpAddr addr;
    uint64_t epoch = 0;
    uint64_t highest = 0;  // the highest sequence number taken
    uint64_t seen = 0;     // bit i: highest - i was taken
    uint64_t last_used = 0;
  };
  size_t max_senders_;
  uint64_t clock_ = 0;
  std::vector<Sender> senders_;
};

class SyncKey {
 public:
  explicit SyncKey(std::vector<uint8_t> key) : key_(std::move(key)) {}
  // The whole file is the key; it must hold at least kMinSyncKeySize bytes.
  static Result<SyncKey> FromFile(const std::string& path);

  // datagram + epoch + sequence number + tag.
  std::vector<uint8_t> Sign(std::span<const uint8_t> datagram, SyncSeq seq) const;
  struct Verified {
    std::span<const uint8_t> datagram;  // without the trailer
    SyncSeq seq;
  };
  // nullopt when the trailer is missing or its tag wrong.
  std::optional<Verified> Verify(std::span<const uint8_t> signed_datagram) const;

 private:
  std::vector<uint8_t> key_;
};

}  // namespace ipvsd::sync
