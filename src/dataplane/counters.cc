#include "dataplane/counters.h"

#include <iterator>

namespace ipvsd::dataplane {

const char* DropReasonName(DropReason r) {
  static constexpr const char* kNames[] = {
      "truncated", "bad_ip_header", "bad_ip_checksum", "martian_source", "martian_destination", "bad_l4_header",
      "fragment", "no_dest", "table_full", "not_new_conn", "dest_unavailable", "no_route", "ttl_exceeded",
      "too_big", "reply_rate_limited", "no_headroom", "unsupported", "aggregate_to_tunnel", "handoff_full",
      "defence_drop_packet", "syn_cookie_invalid", "synproxy_pending",
  };
  static_assert(std::size(kNames) == kDropReasonCount, "a name for every DropReason");
  return kNames[static_cast<int>(r)];
}

uint64_t WorkerCounters::total_drops() const {
  uint64_t n = 0;
  for (const auto& d : drops) n += d.load(std::memory_order_relaxed);
  return n;
}

}  // namespace ipvsd::dataplane
