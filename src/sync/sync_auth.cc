#include "sync/sync_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace ipvsd::sync {
namespace {

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

std::vector<uint8_t> SyncKey::Sign(std::span<const uint8_t> datagram) const {
  std::vector<uint8_t> out(datagram.begin(), datagram.end());
  auto tag = Tag(key_, datagram);
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

std::optional<std::span<const uint8_t>> SyncKey::Verify(std::span<const uint8_t> signed_datagram) const {
  if (signed_datagram.size() < kSyncTagSize) return std::nullopt;
  auto body = signed_datagram.first(signed_datagram.size() - kSyncTagSize);
  auto tag = Tag(key_, body);
  if (CRYPTO_memcmp(tag.data(), signed_datagram.data() + body.size(), kSyncTagSize) != 0) return std::nullopt;
  return body;
}

}  // namespace ipvsd::sync
