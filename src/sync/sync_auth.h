// File: sync/sync_auth.h
//
// ipvsd's optional authentication of sync datagrams (ipvsd --sync-key-file; off by default,
// so that kernel peers interoperate): an HMAC-SHA256 tag of the whole datagram, keyed with
// the file's bytes, is appended after it. The kernel-format message keeps its own size field
// (which then covers the message without the tag). A receiver with a key drops, and counts,
// a datagram too short to hold a tag or whose tag does not match; a kernel receiver drops a
// tagged message as one whose size field disagrees with the datagram's length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace ipvsd::sync {

inline constexpr size_t kSyncTagSize = 32;
inline constexpr size_t kMinSyncKeySize = 16;

class SyncKey {
 public:
  explicit SyncKey(std::vector<uint8_t> key) : key_(std::move(key)) {}
  // The whole file is the key; it must hold at least kMinSyncKeySize bytes.
  static Result<SyncKey> FromFile(const std::string& path);

  // datagram + tag.
  std::vector<uint8_t> Sign(std::span<const uint8_t> datagram) const;
  // The datagram without its tag, or nullopt when the tag is missing or wrong.
  std::optional<std::span<const uint8_t>> Verify(std::span<const uint8_t> signed_datagram) const;

 private:
  std::vector<uint8_t> key_;
};

}  // namespace ipvsd::sync
