// File: core/conn_sync.h
//
// Connections as the sync protocol moves them between directors, and how a backup installs
// them (kernel ip_vs_sync.c ip_vs_proc_conn, ip_vs_conn.c ip_vs_bind_dest):
//  - SyncRecord is one connection or template as a message carries it: fixed-size and
//    trivially copyable, so that it travels through the SpscRings between workers and the
//    sync threads;
//  - InstallSyncConn puts a received record into the table of the worker that owns the
//    connection (a template into the shared template table). A new entry is found its
//    service (by mark, or address and port) and destination (by address and port), takes the
//    received state and flags (activity, no-cport, template) with IP_VS_CONN_F_SYNC, the
//    destination's forwarding method, the received timeout (version 1) or the protocol's
//    timeout for its state (version 0; templates 180 s), in_pkts = sync_threshold; a
//    connection of a persistent service is linked to its template when that is there. An
//    existing entry takes the new state, timeout and activity flag; a connection now on
//    another real server is replaced, unless the message is the old one's inactive farewell.
//  - Unlike the kernel, which keeps a connection without a destination "unbound but
//    handled", ipvsd skips (and counts) a record whose service or destination it does not
//    have: it could not forward that connection's packets anyway.
// No input can make an install fail other than by a returned status.
#pragma once

#include <cstdint>

#include "base/clock.h"
#include "core/conn_table.h"
#include "core/service_table.h"
#include "core/timeouts.h"
#include "net/ip_addr.h"

namespace ipvsd::core {

// IP_VS_CONN_F_* bits of the kernel's 32-bit flags that ipvsd's 16-bit ConnEntry::flags does
// not hold but the sync protocol carries.
inline constexpr uint32_t kSyncFlagSeqMask = 0x0600;  // IN_SEQ | OUT_SEQ (the FTP helper's)
// IP_VS_CONN_F_BACKUP_MASK: what a backup takes of the received flags.
inline constexpr uint32_t kSyncBackupMask = kConnFwdMask | kConnNoOutput | kConnInactive | kSyncFlagSeqMask |
                                            kConnNoCport | kConnTemplate;
// IP_VS_CONN_F_BACKUP_UPD_MASK: what an update changes of an existing entry.
inline constexpr uint32_t kSyncBackupUpdateMask = kConnInactive | kSyncFlagSeqMask;
// Templates of version-0 messages, which carry no timeout, live 3 minutes.
inline constexpr uint32_t kSyncTemplateTimeoutV0 = 180;

struct SyncRecord {
  net::RawAddr caddr;
  net::RawAddr vaddr;
  net::RawAddr daddr;
  uint32_t flags = 0;      // IP_VS_CONN_F_* as on the wire
  uint32_t fwmark = 0;
  uint32_t timeout_s = 0;  // 0: none carried (version 0)
  uint16_t cport = 0;      // host order
  uint16_t vport = 0;
  uint16_t dport = 0;
  uint16_t state = 0;
  net::Family af = net::Family::kInet;
  uint8_t protocol = 0;

  bool is_template() const { return flags & kConnTemplate; }
};
static_assert(std::is_trivially_copyable_v<SyncRecord>);

// What the master sends for an entry whose full timeout is `timeout` (cp->flags without
// HASHED; ipvsd's own flags cleared).
SyncRecord MakeSyncRecord(const ConnEntry& e, Ticks timeout);

enum class InstallResult : uint8_t {
  kCreated = 0,
  kUpdated,
  kStale,      // the farewell of a connection already replaced: ignored, as the kernel does
  kNoService,  // no such virtual service here
  kNoDest,     // the service has no such real server here
  kInvalid,    // unknown protocol or family, or a state the protocol does not have
  kTableFull,
  kConflict,   // would move a connection this director placed itself to another real server
  kCount
};
inline constexpr int kInstallResultCount = static_cast<int>(InstallResult::kCount);
const char* InstallResultName(InstallResult r);

// Installs or updates `r`: a connection in `table`, a template in `templates` (the director's
// shared TemplateTable, under its lock, or `table` itself where one thread owns every entry).
InstallResult InstallSyncConn(ConnTable& table, ConnTable& templates, const ServiceTable& services,
                              const SyncRecord& r, const Timeouts& timeouts, int sync_threshold, Ticks now);

}  // namespace ipvsd::core
