// File: core/settings.h
//
// The kernel's IPVS sysctls that change connection handling (Documentation/networking/
// ipvs-sysctl.rst), with the kernel's defaults. Atomics: the control plane may change them
// while workers read them.
//
// ipvsd takes them from its command line as the kernel takes them from /proc/sys/net/ipv4/vs:
//
//   Result<SysctlSetting> s = ParseSysctl("sloppy_tcp=1");
//   if (s) ApplySysctl(settings, *s);
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ipvsd::core {

struct Settings {
  // 1: a SYN (SCTP INIT) for a connection in TIME_WAIT/CLOSE is scheduled afresh; bit 2 also
  // for FIN_WAIT of a no-output (DR/TUN) connection.
  std::atomic<int> conn_reuse_mode{1};
  // 1: a packet of a connection whose real server was deleted expires the connection at once.
  std::atomic<bool> expire_nodest_conn{false};
  // 1: a persistence template pointing at a weight-0 server is invalid for new connections.
  std::atomic<bool> expire_quiescent_template{false};
  // 1: any non-RST TCP packet (any SCTP packet but ABORT) may create a connection, not only
  // SYN (INIT). The service flag kSvcSloppy does the same for one service.
  std::atomic<bool> sloppy_tcp{false};
  std::atomic<bool> sloppy_sctp{false};

  // Connection sync (ip_vs_sync.c): a connection is synced when its in_pkts % sync_period ==
  // sync_threshold (sync_period 0: only at in_pkts == sync_threshold, unless
  // sync_refresh_period is set); sync_refresh_period (seconds, 0 = off) resends when the
  // expiry reported last differs by that much, with up to sync_retries (0..3) repeats;
  // sync_persist_mode 1 syncs only the templates of persistent services.
  std::atomic<int> sync_threshold{3};
  std::atomic<int> sync_period{50};
  std::atomic<uint32_t> sync_refresh_period{0};
  std::atomic<int> sync_retries{0};
  std::atomic<bool> sync_persist_mode{false};
  // A master sync daemon runs (ipvs->sync_state & IP_VS_STATE_MASTER): workers queue what
  // the rules pick for it.
  std::atomic<bool> sync_master_running{false};

  // Limits on the replies the director makes itself (TCP resets, ICMP port unreachable and
  // time exceeded; never fragmentation needed / packet too big), named and defaulted after
  // the kernel's net.ipv4 ICMP sysctls (net/ipv4/icmp.c, icmp_sk_init) that limit its own
  // ICMP errors; dataplane/reply_limiter.h says how they apply.
  // icmp_ratelimit: milliseconds per reply to one destination prefix (/24, /48), with a
  // burst of 6 (XRLIM_BURST_FACTOR); 0: no per-destination limit.
  std::atomic<uint32_t> icmp_ratelimit{1000};
  // icmp_msgs_per_sec: replies per second from the whole director, with a burst of
  // icmp_msgs_burst; shared out among the workers. 0: no global limit.
  std::atomic<uint32_t> icmp_msgs_per_sec{1000};
  std::atomic<uint32_t> icmp_msgs_burst{50};

  // Defences for a connection table that fills (the kernel's update_defense_level in
  // ip_vs_ctl.c, with free table entries where the kernel counts free memory pages):
  // amemthresh: free entries (of the whole table, shared out over the workers' shards) below
  // which the table counts as short. drop_entry, drop_packet and secure_tcp: 0 never, 1 or 2
  // when short (the kernel writes 2 back while a strategy is active; ipvsd shows it in its
  // counters instead, core/table_defence.h), 3 always. drop_entry
  // drops random half-open and idle connections every second; drop_packet drops one new
  // connection's packet in amemthresh / (amemthresh - free) while short, one in am_droprate
  // in mode 3; secure_tcp switches TCP to the state table that trusts a client's ACK less.
  std::atomic<uint32_t> amemthresh{1024};
  std::atomic<int> drop_entry{0};
  std::atomic<int> drop_packet{0};
  std::atomic<int> secure_tcp{0};
  std::atomic<uint32_t> am_droprate{10};

  // 1: every TCP service answers new connections with SYN cookies (the SYN proxy), as the
  // per-service --synproxy does for one service.
  std::atomic<bool> synproxy{false};
  // Limits on the SYN proxy's SYN-ACKs, kept apart from the ICMP ones above, which would let
  // a flood crowd out every real client's answer: synproxy_dest_per_sec per destination /24
  // or /48, with a burst of one second's worth (a victim of forged SYNs gets no more than
  // that); synproxy_msgs_per_sec and synproxy_msgs_burst for the whole director. 0: no limit.
  std::atomic<uint32_t> synproxy_dest_per_sec{1000};
  std::atomic<uint32_t> synproxy_msgs_per_sec{200000};
  std::atomic<uint32_t> synproxy_msgs_burst{20000};
};

// One sysctl assignment, checked: `name` is one of the Settings above, `value` in its range
// (conn_reuse_mode 0..3, sync_retries 0..3, sync_refresh_period 0..86400 seconds, the flags
// 0 or 1, icmp_ratelimit 0..3600000 ms, icmp_msgs_per_sec and icmp_msgs_burst 0..10000000,
// drop_entry, drop_packet and secure_tcp 0..3, amemthresh and am_droprate 0..100000000,
// synproxy_dest_per_sec 0..1000000, synproxy_msgs_per_sec and synproxy_msgs_burst 0..10000000);
// sync_threshold takes two values, "THRESHOLD PERIOD" (`second` is the period).
struct SysctlSetting {
  std::string name;
  int value = 0;
  int second = -1;  // the second value of a pair, -1 for the others
  // "NAME=VALUE" or "NAME=VALUE SECOND", for the log.
  std::string Text() const;
};

// "NAME=VALUE" with a decimal VALUE; an unknown name or a value out of range is EINVAL with a
// message that says which and what is allowed.
Result<SysctlSetting> ParseSysctl(std::string_view assignment);

void ApplySysctl(Settings& settings, const SysctlSetting& setting);

}  // namespace ipvsd::core
