#include "core/table_defence.h"

#include "base/hash.h"
#include "core/sync_rules.h"
#include "net/headers.h"

namespace ipvsd::core {

void TableDefence::Update(const Settings& settings, uint32_t free_entries, uint32_t threshold) {
  short_ = free_entries < threshold;
  auto active = [&](const std::atomic<int>& mode) {
    const int m = mode.load(std::memory_order_relaxed);
    return m == 3 || (short_ && (m == 1 || m == 2));
  };
  drop_entry_ = active(settings.drop_entry);
  secure_tcp_ = active(settings.secure_tcp);
  const int drop_packet = settings.drop_packet.load(std::memory_order_relaxed);
  if (drop_packet == 3) {
    drop_rate_ = settings.am_droprate.load(std::memory_order_relaxed);
  } else if (short_ && (drop_packet == 1 || drop_packet == 2)) {
    // The kernel's amemthresh / (amemthresh - available): one packet in 2 when half of the
    // reserve is gone, every packet when it is all gone.
    drop_rate_ = threshold / (threshold - free_entries);
    drop_counter_ = static_cast<int64_t>(drop_rate_);
  } else {
    drop_rate_ = 0;
  }
}

uint64_t EntryDropper::NextRandom() {
  random_state_ += 0x9e3779b97f4a7c15ull;
  return Mix64(random_state_);
}

bool EntryDropper::Pick(const ConnEntry& e, const Timeouts& timeouts, Ticks now) {
  switch (e.protocol) {
    case net::kProtoTcp:
      if (e.state == static_cast<uint8_t>(TcpState::kSynRecv) || e.state == static_cast<uint8_t>(TcpState::kSynAck)) {
        return true;
      }
      if (e.state != static_cast<uint8_t>(TcpState::kEstablished)) return false;
      break;
    case net::kProtoSctp:
      if (e.state == static_cast<uint8_t>(SctpState::kInit1) || e.state == static_cast<uint8_t>(SctpState::kInit)) {
        return true;
      }
      if (e.state != static_cast<uint8_t>(SctpState::kEstablished)) return false;
      break;
    default:
      break;
  }
  // todrop_entry: a connection renewed within the last 60 s is left alone, so that a client
  // that is getting through keeps its connection ...
  const int64_t left = static_cast<int32_t>(e.expires - now);
  if (left > static_cast<int64_t>(EntryTimeout(e, timeouts)) - SecondsToTicks(60)) return false;
  // ... and so is one whose client sent nothing or more than 8 packets; of those that sent
  // i packets, one in i goes.
  const uint32_t i = e.in_pkts;
  if (i == 0 || i > 8) return false;
  if (--countdown_[i] > 0) return false;
  countdown_[i] = static_cast<int8_t>(i);
  return true;
}

}  // namespace ipvsd::core
