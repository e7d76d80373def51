#include "dataplane/conn_listing.h"

#include "core/proto_state.h"

namespace ipvsd::dataplane {

ConnSnapshot SnapshotOf(const core::ConnEntry& e, Ticks now) {
  Ticks left = static_cast<int32_t>(e.expires - now) > 0 ? e.expires - now : 0;
  return ConnSnapshot{e.protocol, e.is_template(), e.af, e.daf, e.caddr, e.vaddr, e.daddr, e.cport,
                      e.vport, e.dport, e.is_template() ? "NONE" : core::ConnStateName(e),
                      TicksToSecondsCeil(left)};
}

SnapshotPage SnapshotPageOf(const core::ConnTable& table, Ticks now, uint32_t from, size_t max) {
  SnapshotPage page;
  if (max == 0) {
    page.next = from;
    page.more = true;
    return page;
  }
  page.entries.reserve(max);
  page.next = table.ForEachFrom(from, [&](const core::ConnEntry& e) {
    // Entries waiting on their timer after being unhashed are not listed.
    if (e.flags & core::kConnHashed) page.entries.push_back(SnapshotOf(e, now));
    page.more = page.entries.size() >= max;
    return !page.more;
  });
  return page;
}

}  // namespace ipvsd::dataplane
