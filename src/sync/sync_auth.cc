#include "sync/sync_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

namespace ipvsd::sync {
namespace {

void Put64(std::vector<uint8_t>& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

std::array<uint8_t, kSyncTagSize> Tag(const std::vector<uint8_t>& key, std::span<const uint8_t> data) {
  std::array<uint8_t, kSyncTagSize> tag{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), tag.data(), &len);
  return tag;
}

}  // namespace

Result<SyncKey> SyncKey::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(errno ? errno : ENOENT, "--sync-key-file " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (key.size() < kMinSyncKeySize) {
    return MakeError(EINVAL, "--sync-key-file " + path + ": a key needs at least " +
                                 std::to_string(kMinSyncKeySize) + " bytes");
  }
  return SyncKey(std::move(key));
}

SyncSequencer::SyncSequencer()
    : epoch_(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count())) {}

bool ReplayWindow::Accept(const net::IpAddr& sender, SyncSeq s) {
  ++clock_;
  auto it = std::find_if(senders_.begin(), senders_.end(), [&](const Sender& x) { return x.addr == sender; });
  if (it == senders_.end()) {
    if (senders_.size() >= max_senders_) {
      it = std::min_element(senders_.begin(), senders_.end(),
                            [](const Sender& a, const Sender& b) { return a.last_used < b.last_used; });
      *it = Sender{sender};
    } else {
      it = senders_.insert(senders_.end(), Sender{sender});
    }
  }
  Sender& x = *it;
  if (s.epoch < x.epoch) return false;  // an earlier run of the sender
  if (s.epoch > x.epoch || x.highest == 0) {
    x.epoch = s.epoch;
    x.highest = s.seq;
    x.seen = 1;
  } else if (s.seq > x.highest) {
    const uint64_t ahead = s.seq - x.highest;
    x.seen = ahead >= kWindow ? 1 : (x.seen << ahead) | 1;
    x.highest = s.seq;
  } else {
    const uint64_t behind = x.highest - s.seq;
    if (behind >= kWindow || (x.seen >> behind & 1)) return false;
    x.seen |= uint64_t{1} << behind;
  }
  x.last_used = clock_;
  return true;
}

std::vector<uint8_t> SyncKey::Sign(std::span<const uint8_t> datagram, SyncSeq seq) const {
  std::vector<uint8_t> out(datagram.begin(), datagram.end());
  out.reserve(out.size() + kSyncAuthSize);
  Put64(out, seq.epoch);
  Put64(out, seq.seq);
  auto tag = Tag(key_, out);
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

std::optional<SyncKey::Verified> SyncKey::Verify(std::span<const uint8_t> signed_datagram) const {
  if (signed_datagram.size() < kSyncAuthSize) return std::nullopt;
  auto covered = signed_datagram.first(signed_datagram.size() - kSyncTagSize);
  auto tag = Tag(key_, covered);
  if (CRYPTO_memcmp(tag.data(), signed_datagram.data() + covered.size(), kSyncTagSize) != 0) return std::nullopt;
  const uint8_t* trailer = covered.data() + covered.size() - 16;
  return Verified{covered.first(covered.size() - 16), SyncSeq{Get64(trailer), Get64(trailer + 8)}};
}

}  // namespace ipvsd::sync
