// File: sync/sync_packer.h
//
// SyncPacker is the master's message buffer (the kernel's sync_buff): connections go in until
// the next one does not fit in sync-maxlen bytes (or 255 connections), then the full message
// comes out and a new one starts with that connection. The master thread flushes a partly
// filled message when it is old enough (kSyncFlushTime, the kernel's IPVS_SYNC_FLUSH_TIME).
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "core/conn_sync.h"
#include "sync/sync_message.h"

namespace ipvsd::sync {

inline constexpr auto kSyncFlushTime = std::chrono::seconds(1);

class SyncPacker {
 public:
  SyncPacker(uint8_t syncid, size_t maxlen) : builder_(syncid, maxlen) {}

  // Adds r; returns the finished message when r started a new one. A message holds at least
  // one connection, even past maxlen; a connection whose persistence data the format cannot
  // carry is dropped (and counted).
  std::optional<std::vector<uint8_t>> Add(const core::SyncRecord& r);
  // The partly filled message, or nullopt when empty.
  std::optional<std::vector<uint8_t>> Flush();
  bool empty() const { return builder_.empty(); }
  uint64_t too_big() const { return too_big_; }

 private:
  SyncMessageBuilder builder_;
  uint64_t too_big_ = 0;
};

}  // namespace ipvsd::sync
