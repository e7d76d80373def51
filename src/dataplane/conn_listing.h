// File: dataplane/conn_listing.h
//
// A connection table read a page at a time, as `ipvsadm -Lnc` lists it and as a sync master
// sends it to answer a pull request: the control or sync thread asks a worker for at most a
// page of entries from an index, so that neither the worker nor the control socket ever copies
// or holds a whole table of millions of entries at once.
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

// A page of a table's hashed entries, each made into a T.
template <typename T>
struct TablePage {
  std::vector<T> entries;
  uint32_t next = 0;  // the entry index to continue from
  bool more = false;  // the table may hold entries from `next` on
};

// At most `max` hashed entries of `table` from entry index `from`, in index order, as make(e)
// makes them.
template <typename T, typename Make>
TablePage<T> PageOf(const core::ConnTable& table, uint32_t from, size_t max, Make&& make) {
  TablePage<T> page;
  if (max == 0) {
    page.next = from;
    page.more = true;
    return page;
  }
  page.entries.reserve(max);
  page.next = table.ForEachFrom(from, [&](const core::ConnEntry& e) {
    // Entries waiting on their timer after being unhashed are not listed.
    if (e.flags & core::kConnHashed) page.entries.push_back(make(e));
    page.more = page.entries.size() >= max;
    return !page.more;
  });
  return page;
}

ConnSnapshot SnapshotOf(const core::ConnEntry& e, Ticks now);

}  // namespace ipvsd::dataplane
