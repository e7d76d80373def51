#include "core/sync_rules.h"

#include <algorithm>
#include <cstdlib>

#include "net/headers.h"

namespace ipvsd::core {
namespace {

constexpr Ticks kRetryBits = 3;  // the low bits of sync_endtime count the retries
constexpr Ticks kMinRefreshDiff = SecondsToTicks(10);

bool TcpStateSyncs(uint8_t s) {
  switch (static_cast<TcpState>(s)) {
    case TcpState::kEstablished:
    case TcpState::kFinWait:
    case TcpState::kClose:
    case TcpState::kCloseWait:
    case TcpState::kTimeWait:
      return true;
    default:
      return false;
  }
}

bool SctpStateSyncs(uint8_t s) {
  switch (static_cast<SctpState>(s)) {
    case SctpState::kEstablished:
    case SctpState::kShutdownSent:
    case SctpState::kShutdownReceived:
    case SctpState::kShutdownAckSent:
    case SctpState::kClosed:
      return true;
    default:
      return false;
  }
}

}  // namespace

SyncParams SyncParams::From(const Settings& s) {
  SyncParams p;
  p.threshold = s.sync_threshold.load(std::memory_order_relaxed);
  p.period = s.sync_period.load(std::memory_order_relaxed);
  p.refresh_period = SecondsToTicks(s.sync_refresh_period.load(std::memory_order_relaxed));
  p.retries = s.sync_retries.load(std::memory_order_relaxed);
  p.persist_mode = s.sync_persist_mode.load(std::memory_order_relaxed);
  return p;
}

Ticks EntryTimeout(const ConnEntry& e, const Timeouts& timeouts) {
  if (e.is_template()) return SecondsToTicks(e.timeout_s);
  switch (e.protocol) {
    case net::kProtoTcp: return timeouts.Tcp(static_cast<TcpState>(e.state));
    case net::kProtoSctp: return timeouts.Sctp(static_cast<SctpState>(e.state));
    case net::kProtoUdp: return timeouts.Udp();
    default: return timeouts.Other();
  }
}

bool SyncConnNeeded(ConnEntry& e, uint32_t pkts, Ticks timeout, Ticks now, const SyncParams& p) {
  const Ticks orig = e.sync_endtime;
  Ticks n = (now + timeout) & ~kRetryBits;
  bool force = false;
  bool skip_count_rules = false;
  if (e.is_template()) {
    force = false;
  } else if (p.persist_mode && e.control != kNoIndex) {
    return false;
  } else if (e.protocol == net::kProtoTcp || e.protocol == net::kProtoSctp) {
    bool syncs = e.protocol == net::kProtoTcp ? TcpStateSyncs(e.state) : SctpStateSyncs(e.state);
    if (!syncs) return false;
    uint8_t established = e.protocol == net::kProtoTcp ? static_cast<uint8_t>(TcpState::kEstablished)
                                                       : static_cast<uint8_t>(SctpState::kEstablished);
    force = e.state != e.old_state;
    skip_count_rules = force && e.state != established;
  }

  if (!skip_count_rules) {
    if (p.refresh_period > 0) {
      int64_t diff = static_cast<int32_t>(n - orig);
      Ticks min_diff = std::max<Ticks>(timeout / 2, kMinRefreshDiff);
      if (std::llabs(diff) < static_cast<int64_t>(std::min(p.refresh_period, min_diff))) {
        int retries = static_cast<int>(orig & kRetryBits);
        if (retries >= p.retries) return false;
        // time_before(now, orig - timeout + refresh_period / 8)
        if (static_cast<int32_t>(now - (orig - timeout + (p.refresh_period >> 3))) < 0) return false;
        n |= static_cast<Ticks>(retries + 1);
      }
    }
    if (p.period > 0) {
      if (!e.is_template() && pkts % static_cast<uint32_t>(p.period) != static_cast<uint32_t>(p.threshold)) {
        return false;
      }
    } else if (p.refresh_period == 0 && pkts != static_cast<uint32_t>(p.threshold)) {
      return false;
    }
  }

  // A template's old_state shares storage with its timeout (core/conn.h); its state never
  // changes, so it has none to remember.
  if (!e.is_template()) e.old_state = e.state;
  // The kernel's cmpxchg on sync_endtime cannot fail here: one worker owns a connection, and
  // a template is touched under the template table's lock.
  e.sync_endtime = n;
  return true;
}

SyncPick PickForSync(ConnTable& templates, ConnEntry& c, uint32_t pkts, const Timeouts& timeouts, Ticks now,
                     const SyncParams& p) {
  SyncPick pick;
  if (!(c.flags & kConnOnePacket)) pick.conn = SyncConnNeeded(c, pkts, EntryTimeout(c, timeouts), now, p);
  if (c.is_template() || c.control == kNoIndex) return pick;
  ConnEntry* t = templates.At(c.control);
  uint32_t tpkts = ++t->in_pkts;
  if (SyncConnNeeded(*t, tpkts, EntryTimeout(*t, timeouts), now, p)) pick.tmpl = t;
  return pick;
}

}  // namespace ipvsd::core
