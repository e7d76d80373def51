#include "sync/pull_request.h"

#include "base/byte_order.h"

namespace ipvsd::sync {
namespace {

constexpr uint8_t kPullVersion = 1;

}  // namespace

std::vector<uint8_t> EncodePullRequest(const PullRequest& r) {
  std::vector<uint8_t> b(kPullRequestSize, 0);
  b[1] = r.syncid;
  StoreBe32(&b[4], kPullRequestMagic);
  b[8] = kPullVersion;
  StoreBe32(&b[12], r.nonce);
  return b;
}

std::optional<PullRequest> DecodePullRequest(std::span<const uint8_t> d) {
  if (d.size() != kPullRequestSize) return std::nullopt;
  if (d[0] != 0 || d[2] != 0 || d[3] != 0 || LoadBe32(&d[4]) != kPullRequestMagic || d[8] != kPullVersion) {
    return std::nullopt;
  }
  return PullRequest{d[1], LoadBe32(&d[12])};
}

}  // namespace ipvsd::sync
