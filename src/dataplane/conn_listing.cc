#include "dataplane/conn_listing.h"

#include "core/proto_state.h"

namespace ipvsd::dataplane {

ConnSnapshot SnapshotOf(const core::ConnEntry& e, Ticks now) {
  Ticks left = static_cast<int32_t>(e.expires - now) > 0 ? e.expires - now : 0;
  return ConnSnapshot{e.protocol, e.is_template(), e.af, e.daf, e.caddr, e.vaddr, e.daddr, e.cport,
                      e.vport, e.dport, e.is_template() ? "NONE" : core::ConnStateName(e),
                      TicksToSecondsCeil(left)};
}

}  // namespace ipvsd::dataplane
