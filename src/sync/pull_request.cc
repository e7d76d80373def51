#include "sync/pull_request.h"

namespace ipvsd::sync {
namespace {

constexpr uint8_t kPullVersion = 1;

uint32_t Get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

std::vector<uint8_t> EncodePullRequest(const PullRequest& r) {
  std::vector<uint8_t> b(kPullRequestSize, 0);
  b[1] = r.syncid;
  Put32(&b[4], kPullRequestMagic);
  b[8] = kPullVersion;
  Put32(&b[12], r.nonce);
  return b;
}

std::optional<PullRequest> DecodePullRequest(std::span<const uint8_t> d) {
  if (d.size() != kPullRequestSize) return std::nullopt;
  if (d[0] != 0 || d[2] != 0 || d[3] != 0 || Get32(&d[4]) != kPullRequestMagic || d[8] != kPullVersion) {
    return std::nullopt;
  }
  return PullRequest{d[1], Get32(&d[12])};
}

}  // namespace ipvsd::sync
