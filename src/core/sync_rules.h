// File: core/sync_rules.h
//
// When a master director tells its backups about a connection: the kernel's
// ip_vs_sync_conn_needed and the walk of ip_vs_sync_conn (net/netfilter/ipvs/ip_vs_sync.c),
// called after every forwarded client packet with pkts = the connection's in_pkts.
//  - TCP is synced only in ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT, TIME_WAIT; SCTP only in
//    ESTABLISHED, SHUTDOWN_SENT, SHUTDOWN_RECEIVED, SHUTDOWN_ACK_SENT, CLOSED; a change into
//    one of the closing states is sent at once, whatever the packet count;
//  - otherwise at in_pkts % sync_period == sync_threshold (packets 3, 53, 103, ... by
//    default), or only at sync_threshold when sync_period is 0;
//  - sync_refresh_period > 0 holds back a resend while the reported expiry moved less than
//    min(refresh period, max(timeout / 2, 10 s)), allowing sync_retries repeats, each at least
//    refresh period / 8 after the report;
//  - templates pass the state rules and the packet count (they go on every packet that
//    considers them); with sync_persist_mode the connections of persistent services are not
//    sent, only their templates;
//  - one-packet connections are not sent, their template is.
// Pure: the worker calls it on the packet path, holding the template table's lock when the
// connection has a template (`templates` is the table that holds it).
//
//   SyncPick p = PickForSync(templates, *conn, ++conn->in_pkts, timeouts, now, params);
//   if (p.conn) queue(*conn);  if (p.tmpl) queue(*p.tmpl);
#pragma once

#include <cstdint>

#include "base/clock.h"
#include "core/conn_table.h"
#include "core/settings.h"
#include "core/timeouts.h"

namespace ipvsd::core {

struct SyncParams {
  int threshold = 3;
  int period = 50;
  Ticks refresh_period = 0;  // ticks; 0 = off
  int retries = 0;           // 0..3
  bool persist_mode = false;

  static SyncParams From(const Settings& s);
};

// ip_vs_sync_conn_needed: whether entry `e`, seen with packet count `pkts` and a full
// timeout of `timeout` ticks, is sent now. Records what it decided in e.sync_endtime (and
// e.old_state for connections), as the kernel does.
bool SyncConnNeeded(ConnEntry& e, uint32_t pkts, Ticks timeout, Ticks now, const SyncParams& p);

// What to send after a client packet of connection `c` whose in_pkts is now `pkts`: the
// connection itself, its template (whose in_pkts this counts up), both or neither.
struct SyncPick {
  bool conn = false;
  ConnEntry* tmpl = nullptr;
};
SyncPick PickForSync(ConnTable& templates, ConnEntry& c, uint32_t pkts, const Timeouts& timeouts, Ticks now,
                     const SyncParams& p);

// The entry's full timeout (cp->timeout): its state's for a connection, the persistence
// timeout for a template.
Ticks EntryTimeout(const ConnEntry& e, const Timeouts& timeouts);

}  // namespace ipvsd::core
