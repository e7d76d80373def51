// File: dataplane/conn_listing.h
//
// A connection table read a page at a time, as `ipvsadm -Lnc` lists it: the control thread
// asks a worker for at most a page of entries from an index, so that neither the worker nor
// the control socket ever holds the listing of a whole table of millions of entries at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/clock.h"
#include "core/conn_table.h"
#include "net/ip_addr.h"

namespace ipvsd::dataplane {

// One connection as `ipvsadm -Lnc` shows it.
struct ConnSnapshot {
  uint8_t protocol;  // 0 for fwmark templates
  bool is_template;
  net::Family af;
  net::Family daf;
  net::RawAddr caddr, vaddr, daddr;
  uint16_t cport, vport, dport;
  const char* state;
  uint32_t expires_s;  // seconds left
};

struct SnapshotPage {
  std::vector<ConnSnapshot> entries;
  uint32_t next = 0;  // the entry index to continue from
  bool more = false;  // the table may hold entries from `next` on
};

ConnSnapshot SnapshotOf(const core::ConnEntry& e, Ticks now);

// At most `max` hashed entries of `table` from entry index `from`, in index order.
SnapshotPage SnapshotPageOf(const core::ConnTable& table, Ticks now, uint32_t from, size_t max);

}  // namespace ipvsd::dataplane
