#include "sync/sync_packer.h"

#include "sync/sync_record.h"

namespace ipvsd::sync {

std::optional<std::vector<uint8_t>> SyncPacker::Add(const core::SyncRecord& r) {
  SyncConn c = ToSyncConn(r);
  if (builder_.Add(c)) return std::nullopt;
  if (builder_.empty()) {
    ++too_big_;
    return std::nullopt;
  }
  std::vector<uint8_t> full = builder_.Finish();
  if (!builder_.Add(c)) ++too_big_;
  return full;
}

std::optional<std::vector<uint8_t>> SyncPacker::Flush() {
  if (builder_.empty()) return std::nullopt;
  return builder_.Finish();
}

}  // namespace ipvsd::sync
