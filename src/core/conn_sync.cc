#include "core/conn_sync.h"

#include <algorithm>

#include "core/conn_setup.h"
#include "core/sync_rules.h"
#include "net/headers.h"

namespace ipvsd::core {
namespace {

// The number of states of a protocol's table (pp->num_states); 0 for one ipvsd does not run.
int StateCount(uint8_t protocol) {
  switch (protocol) {
    case net::kProtoTcp: return kTcpStateCount - 1;
    case net::kProtoSctp: return kSctpStateCount - 1;
    case net::kProtoUdp: return 1;
    default: return 0;
  }
}

bool ValidFamily(net::Family af) { return af == net::Family::kInet || af == net::Family::kInet6; }

// ip_vs_find_dest: fwmark services of a method other than NAT have port-less destinations.
Dest* FindSyncDest(const Service& svc, const SyncRecord& r) {
  uint16_t port = r.dport;
  if (r.fwmark != 0 && static_cast<FwdMethod>(r.flags & kConnFwdMask) != FwdMethod::kMasq) port = 0;
  net::IpAddr daddr{r.daddr, r.af};
  if (Dest* d = svc.FindDest(daddr, port)) return d;
  return svc.FindDest(daddr, static_cast<uint16_t>(port ^ r.dport));
}

// The longest timeout a message may set: expiries are compared as signed 32-bit differences
// of 1/16-s ticks (2^27 s); the kernel likewise bounds what it takes (MAX_SCHEDULE_TIMEOUT).
constexpr uint32_t kMaxReceivedTimeoutS = 1u << 26;

Ticks ReceivedTimeout(const SyncRecord& r, const Timeouts& timeouts) {
  if (r.timeout_s != 0) return SecondsToTicks(std::min(r.timeout_s, kMaxReceivedTimeoutS));
  if (r.is_template()) return SecondsToTicks(kSyncTemplateTimeoutV0);
  ConnEntry probe;
  probe.protocol = r.protocol;
  probe.state = static_cast<uint8_t>(r.state);
  return EntryTimeout(probe, timeouts);
}

void SetExpiry(ConnTable& table, ConnEntry* e, Ticks timeout, Ticks now) {
  Ticks before = e->expires;
  e->expires = now + timeout;
  if (static_cast<int32_t>(e->expires - before) < 0) table.Rearm(e);
}

// Links a connection of a persistent service to its template, when the backup has it.
void LinkTemplate(ConnTable& templates, const Service& svc, ConnEntry* c) {
  if (!svc.config.persistent() || c->control != kNoIndex) return;
  TemplateKey k = TemplateKeyOf(svc.config, c->protocol, c->caddr, c->vaddr, c->vport);
  ConnEntry* t = templates.FindTemplate(c->af, k.protocol, k.snet, k.vaddr, k.vport);
  if (!t || t->dest != c->dest) return;
  c->control = templates.IndexOf(t);
  ++t->n_control;
}

InstallResult Update(ConnTable& table, ConnTable& templates, const Service& svc, ConnEntry* e, const SyncRecord& r,
                     Ticks timeout, int sync_threshold, Ticks now) {
  uint16_t received = static_cast<uint16_t>(r.flags & kSyncBackupUpdateMask & 0xffff);
  if (!e->is_template() && ((e->flags ^ received) & kConnInactive) && e->dest) {
    if (received & kConnInactive) {
      e->dest->ConnBecameInactive();
    } else {
      e->dest->ConnBecameActive();
    }
  }
  // ipvsd keeps no sequence adjustments (it has no FTP helper): only the activity flag moves.
  e->flags = static_cast<uint16_t>((e->flags & ~kConnInactive) | (received & kConnInactive));
  e->in_pkts = static_cast<uint32_t>(sync_threshold);
  if (e->is_template()) {
    e->timeout_s = TicksToSecondsCeil(timeout);
  } else {
    e->state = static_cast<uint8_t>(r.state);
    e->old_state = e->state;
    LinkTemplate(templates, svc, e);
  }
  SetExpiry(table, e, timeout, now);
  return InstallResult::kUpdated;
}

}  // namespace

SyncRecord MakeSyncRecord(const ConnEntry& e, Ticks timeout) {
  SyncRecord r;
  r.af = e.af;
  r.protocol = e.protocol;
  r.flags = static_cast<uint16_t>(e.flags & ~kConnLocalFlags);
  r.state = e.state;
  r.caddr = e.caddr;
  r.vaddr = e.vaddr;
  r.daddr = e.daddr;
  r.cport = e.cport;
  r.vport = e.vport;
  r.dport = e.dport;
  // A SYN proxy connection's fwmark field holds its timestamp delta (core/conn.h); its
  // service has no mark. Only a backup's pull request sees one: the master never sends it.
  r.fwmark = (e.flags & kConnSynproxy) ? 0 : e.fwmark;
  r.timeout_s = TicksToSecondsCeil(timeout);
  return r;
}

const char* InstallResultName(InstallResult r) {
  switch (r) {
    case InstallResult::kCreated: return "created";
    case InstallResult::kUpdated: return "updated";
    case InstallResult::kStale: return "stale";
    case InstallResult::kNoService: return "no_service";
    case InstallResult::kNoDest: return "no_dest";
    case InstallResult::kInvalid: return "invalid";
    case InstallResult::kTableFull: return "table_full";
    case InstallResult::kConflict: return "conflict";
    case InstallResult::kCount: break;
  }
  return "?";
}

InstallResult InstallSyncConn(ConnTable& conns, ConnTable& templates, const ServiceTable& services,
                              const SyncRecord& r, const Timeouts& timeouts, int sync_threshold, Ticks now) {
  if (!ValidFamily(r.af)) return InstallResult::kInvalid;
  const bool is_template = r.is_template();
  if (!is_template && r.state >= StateCount(r.protocol)) return InstallResult::kInvalid;

  const Service* svc = services.Find(r.fwmark, r.af, r.protocol, r.vaddr, r.vport);
  if (!svc) return InstallResult::kNoService;
  Ticks timeout = ReceivedTimeout(r, timeouts);
  ConnTable& table = is_template ? templates : conns;

  ConnEntry* e = is_template ? table.FindTemplate(r.af, r.protocol, r.caddr, r.vaddr, r.vport)
                             : table.FindIn(r.af, r.protocol, r.caddr, r.cport, r.vaddr, r.vport);
  if (e && !is_template && (e->dport != r.dport || e->daddr != r.daddr)) {
    // The master moved the client to another real server: the new connection replaces the
    // old one; an inactive message about the old one comes after its replacement: ignore it.
    if (r.flags & kConnInactive) return InstallResult::kStale;
    // A connection this director placed itself, and may be forwarding now, is not taken away
    // by a record (forged, replayed or a peer's mistake); the record's state may still refresh
    // an entry that agrees with it.
    if (!(e->flags & kConnSync)) return InstallResult::kConflict;
    ExpireConnNow(table, e, now);
    e = nullptr;
  }
  if (e) return Update(table, templates, *svc, e, r, timeout, sync_threshold, now);

  Dest* d = FindSyncDest(*svc, r);
  if (!d) return InstallResult::kNoDest;
  ConnEntry* c = table.Allocate();
  if (!c) return InstallResult::kTableFull;
  c->af = r.af;
  c->protocol = r.protocol;
  c->caddr = r.caddr;
  c->cport = r.cport;
  c->vaddr = r.vaddr;
  c->vport = r.vport;
  c->daf = d->family();
  c->daddr = r.daddr;
  c->dport = r.dport;
  c->fwmark = r.fwmark;
  c->dest = d;
  c->in_pkts = static_cast<uint32_t>(sync_threshold);
  c->expires = now + timeout;
  // ip_vs_bind_dest for a synced entry: the destination's method (and NOOUTPUT unless NAT);
  // a connection keeps the received activity flag.
  uint16_t flags = static_cast<uint16_t>(r.flags & kSyncBackupMask & ~(kConnFwdMask | kConnNoOutput | kSyncFlagSeqMask));
  flags |= kConnSync | static_cast<uint16_t>(d->fwd());
  if (is_template) {
    // As the templates ScheduleConn makes: method and template flag, no activity flag.
    c->flags |= static_cast<uint16_t>(flags & ~kConnInactive);
    c->n_control = 0;
    c->timeout_s = TicksToSecondsCeil(timeout);
    d->BindTemplate();
  } else {
    if (d->fwd() != FwdMethod::kMasq) flags |= kConnNoOutput;
    c->flags |= flags;
    c->state = static_cast<uint8_t>(r.state);
    c->old_state = c->state;
    d->BindConn(c->inactive());
  }
  table.Insert(c);
  if (!is_template) LinkTemplate(templates, *svc, c);
  return InstallResult::kCreated;
}

}  // namespace ipvsd::core
