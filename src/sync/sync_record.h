// File: sync/sync_record.h
//
// Between the codec's SyncConn (a connection as a message carries it, options included) and
// core's SyncRecord (what workers queue and install): ipvsd keeps no sequence adjustments
// and runs no persistence engine, so those options do not travel inside ipvsd.
#pragma once

#include <optional>

#include "core/conn_sync.h"
#include "sync/sync_message.h"

namespace ipvsd::sync {

SyncConn ToSyncConn(const core::SyncRecord& r);

// nullopt for what ipvsd cannot install: a family other than IPv4/IPv6, or persistence-engine
// data (the kernel, too, skips an entry whose engine it lacks).
std::optional<core::SyncRecord> ToSyncRecord(const SyncConn& c);

}  // namespace ipvsd::sync
