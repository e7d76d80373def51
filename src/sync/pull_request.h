// File: sync/pull_request.h
//
// ipvsd's pull request (ipvsd --sync-pull; off by default): a backup that starts multicasts
// one to the sync group, and masters running with --sync-pull answer by sending their whole
// connection table, so that a restarted director does not start empty. 16 bytes:
//   off 0  u8  0             (a v1 message's reserved byte)
//   off 1  u8  syncid        (the backup's; a master answers when it is 0 or its own)
//   off 2  u16 size = 0      (never the datagram's length: a kernel backup drops the
//                             datagram right there, as a message of bogus size)
//   off 4  u32 magic 0x49505650 ("IPVP")
//   off 8  u8  version = 1, 3 bytes 0
//   off 12 u32 nonce         (tells two requests apart in logs)
// With --sync-key-file the request carries the same HMAC tag as messages (sync_auth.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ipvsd::sync {

inline constexpr size_t kPullRequestSize = 16;
inline constexpr uint32_t kPullRequestMagic = 0x49505650;

struct PullRequest {
  uint8_t syncid = 0;
  uint32_t nonce = 0;
  friend bool operator==(const PullRequest&, const PullRequest&) = default;
};

std::vector<uint8_t> EncodePullRequest(const PullRequest& r);
// nullopt unless the datagram is exactly a pull request.
std::optional<PullRequest> DecodePullRequest(std::span<const uint8_t> datagram);

}  // namespace ipvsd::sync
