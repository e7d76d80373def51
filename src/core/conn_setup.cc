#include "core/conn_setup.h"

#include "core/proto_state.h"
#include "net/headers.h"

namespace ipvsd::core {
namespace {

// A new connection starts with a 3 s timeout until its first state change (ip_vs_conn_new).
constexpr uint32_t kNewConnTimeoutSeconds = 3;

FlowKey FlowOf(const net::PacketView& v) {
  return FlowKey{v.family, v.protocol, v.src, v.dst, v.sport, v.dport};
}

// The kernel's dest->conn_flags: the method, INACTIVE, and NOOUTPUT unless replies come back.
uint16_t DestConnFlags(const Dest& d) {
  uint16_t f = static_cast<uint16_t>(static_cast<uint16_t>(d.fwd()) | kConnInactive);
  if (d.fwd() != FwdMethod::kMasq) f |= kConnNoOutput;
  return f;
}

void FillConn(ConnEntry* c, net::Family af, uint8_t proto, const net::RawAddr& caddr, uint16_t cport,
              const net::RawAddr& vaddr, uint16_t vport, Dest* d, uint16_t dport, uint32_t fwmark) {
  c->af = af;
  c->protocol = proto;
  c->caddr = caddr;
  c->cport = cport;
  c->vaddr = vaddr;
  c->vport = vport;
  c->daf = d->family();
  c->daddr = d->addr().raw;
  c->dport = dport;
  c->fwmark = fwmark;
  c->dest = d;
}

// Binds and counts a new (non-template) connection, and hashes it unless it is one-packet.
void StartConn(ConnTable& table, ConnEntry* c, uint16_t extra_flags, const Service& svc, Ticks now, int worker,
               Stats& total_stats) {
  c->flags |= DestConnFlags(*c->dest) | extra_flags;
  c->dest->BindConn(true);
  InitConnState(*c);
  c->expires = now + SecondsToTicks(kNewConnTimeoutSeconds);
  c->dest->stats().AddConn(worker);
  svc.stats->AddConn(worker);
  total_stats.AddConn(worker);
  if (!(c->flags & kConnOnePacket)) table.Insert(c);
}

bool TemplateValid(const ConnEntry& t, const Settings& settings) {
  const Dest* d = t.dest;
  if (!d || !d->available()) return false;
  if (settings.expire_quiescent_template.load(std::memory_order_relaxed) && d->weight() == 0) return false;
  return true;
}

net::RawAddr MaskClient(const ServiceConfig& c, const net::RawAddr& addr) {
  return c.key.family == net::Family::kInet6 ? net::MaskV6(addr, static_cast<int>(c.netmask))
                                             : net::MaskV4(addr, c.netmask);
}

}  // namespace

TemplateKey TemplateKeyOf(const ServiceConfig& cfg, uint8_t protocol, const net::RawAddr& caddr,
                          const net::RawAddr& vaddr, uint16_t vport) {
  TemplateKey k;
  k.protocol = protocol;
  k.snet = MaskClient(cfg, caddr);
  k.vaddr = vaddr;
  if (vport == cfg.key.port && cfg.key.fwmark == 0) {
    k.vport = vport;
  } else if (cfg.key.fwmark != 0) {
    k.protocol = 0;
    k.vaddr = net::RawAddr::FromV4(cfg.key.fwmark);
  }
  return k;
}

ScheduleResult ScheduleConn(ConnTable& table, ConnTable& templates, const Service& svc, const net::PacketView& v,
                            const Settings& settings, Ticks now, int worker, Stats& total_stats) {
  const ServiceConfig& cfg = svc.config;
  uint16_t one_packet = (cfg.flags & kSvcOnePacket) && v.protocol == net::kProtoUdp ? kConnOnePacket : 0;

  if (!cfg.persistent()) {
    Dest* d = svc.sched->Pick(FlowOf(v), now);
    if (!d) return {ScheduleStatus::kNoDest, nullptr};
    ConnEntry* c = table.Allocate();
    if (!c) return {ScheduleStatus::kTableFull, nullptr};
    FillConn(c, v.family, v.protocol, v.src, v.sport, v.dst, v.dport, d, d->port() ? d->port() : v.dport,
             cfg.key.fwmark);
    StartConn(table, c, one_packet, svc, now, worker, total_stats);
    return {ScheduleStatus::kOk, c};
  }

  TemplateKey key = TemplateKeyOf(cfg, v.protocol, v.src, v.dst, v.dport);
  const net::RawAddr& snet = key.snet;
  uint8_t t_proto = key.protocol;
  const net::RawAddr& t_vaddr = key.vaddr;
  uint16_t t_vport = key.vport;

  ConnEntry* t = templates.FindTemplate(v.family, t_proto, snet, t_vaddr, t_vport);
  if (t && !TemplateValid(*t, settings)) {
    ExpireConnNow(templates, t, now);
    t = nullptr;
  }
  if (!t) {
    Dest* d = svc.sched->Pick(FlowOf(v), now);
    if (!d) return {ScheduleStatus::kNoDest, nullptr};
    t = templates.Allocate();
    if (!t) return {ScheduleStatus::kTableFull, nullptr};
    uint16_t t_dport = t_vport != 0 ? d->port() : 0;
    FillConn(t, v.family, t_proto, snet, 0, t_vaddr, t_vport, d, t_dport, cfg.key.fwmark);
    t->flags |= kConnTemplate | static_cast<uint16_t>(d->fwd());
    t->n_control = 0;
    t->timeout_s = cfg.timeout;
    t->expires = now + SecondsToTicks(cfg.timeout);
    d->BindTemplate();
    templates.Insert(t);
  }

  ConnEntry* c = table.Allocate();
  if (!c) return {ScheduleStatus::kTableFull, nullptr};
  Dest* d = t->dest;
  FillConn(c, v.family, v.protocol, v.src, v.sport, v.dst, v.dport, d, d->port() ? d->port() : v.dport,
           cfg.key.fwmark);
  c->control = templates.IndexOf(t);
  ++t->n_control;
  // ip_vs_conn_put on the template: every connection it places renews it.
  t->timeout_s = cfg.timeout;
  t->expires = now + SecondsToTicks(cfg.timeout);
  StartConn(table, c, one_packet, svc, now, worker, total_stats);
  return {ScheduleStatus::kOk, c};
}

namespace {
void Unbind(ConnTable& templates, ConnEntry* e) {
  if (e->is_template()) {
    if (e->dest) e->dest->UnbindTemplate();
  } else {
    if (e->dest) e->dest->UnbindConn(e->inactive());
    if (e->control != kNoIndex) {
      ConnEntry* t = templates.At(e->control);
      if (t->n_control > 0) --t->n_control;
      e->control = kNoIndex;
    }
  }
  e->dest = nullptr;
}
}  // namespace

bool OnConnExpire(ConnTable& templates, ConnEntry* e, Ticks now) {
  // A template is not freed while connections it placed still refer to it (even when it was
  // invalidated and can no longer be found).
  if (e->is_template() && e->n_control > 0) {
    e->expires = now + SecondsToTicks(e->timeout_s);
    return false;
  }
  Unbind(templates, e);
  return true;
}

void ExpireConnNow(ConnTable& table, ConnEntry* e, Ticks now) {
  table.Unhash(e);
  e->expires = now;
  table.Rearm(e);
}

void ReleaseOnePacketConn(ConnTable& table, ConnTable& templates, ConnEntry* e) {
  Unbind(templates, e);
  table.Discard(e);
}

}  // namespace ipvsd::core
