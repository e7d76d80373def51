// File: core/conn_setup.h
//
// How connections are born and die (kernel ip_vs_core.c ip_vs_schedule/ip_vs_sched_persist
// and ip_vs_conn.c ip_vs_conn_new/ip_vs_conn_expire):
//  - a new flow on a non-persistent service: the scheduler picks a destination and a
//    connection (protocol, client, virtual) -> (destination) is created;
//  - on a persistent service (-p): a template (protocol, masked client, vip, vport or 0;
//    for fwmark services (IP, masked client, mark, 0)) keeps the client on the destination it
//    was first given; a valid template skips the scheduler and is refreshed with each new
//    connection; an invalid one (its destination deleted, or quiesced with
//    expire_quiescent_template) is expired and the scheduler asked again;
//  - a new connection is bound to its destination as inactive and counted in the conns
//    statistics of destination, service and totals;
//  - when its time comes, a connection unbinds from its destination and its template; a
//    template that still controls connections lives on for another timeout.
#pragma once

#include "core/conn_table.h"
#include "core/service.h"
#include "core/settings.h"
#include "core/timeouts.h"
#include "net/packet_view.h"

namespace ipvsd::core {

enum class ScheduleStatus : uint8_t {
  kOk,
  kNoDest,     // the scheduler found no available destination
  kTableFull,  // the worker's connection table is full
};

struct ScheduleResult {
  ScheduleStatus status = ScheduleStatus::kOk;
  ConnEntry* conn = nullptr;  // hashed, or for one-packet UDP services not hashed (Discard it)
};

// The key of the persistence template (ip_vs_sched_persist) that places a connection of
// (protocol, client, virtual address:port) on a persistent service.
struct TemplateKey {
  uint8_t protocol = 0;  // 0 (IPPROTO_IP) for fwmark services: one template for every protocol
  net::RawAddr snet;     // the client address masked by the service's netmask
  net::RawAddr vaddr;    // the virtual address, or the mark for fwmark services
  uint16_t vport = 0;    // the service port, or 0 (port-zero and fwmark services)
};
TemplateKey TemplateKeyOf(const ServiceConfig& cfg, uint8_t protocol, const net::RawAddr& caddr,
                          const net::RawAddr& vaddr, uint16_t vport);

// Creates the connection for the first packet `v` of a flow to `svc` in `table`; a persistent
// service's template is found or made in `templates` (core/template_table.h: the director's
// shared one, under its lock; or `table` itself, where one thread owns every entry).
ScheduleResult ScheduleConn(ConnTable& table, ConnTable& templates, const Service& svc, const net::PacketView& v,
                            const Settings& settings, Ticks now, int worker, Stats& total_stats);

// The wheel's verdict for an entry whose time has come: true = free it (accounting done),
// false = keep it (a template still controlling connections; its expiry was renewed).
// `templates` holds the template that placed e, if any.
bool OnConnExpire(ConnTable& templates, ConnEntry* e, Ticks now);

// Ends a connection at once (expire-now): it can no longer be found, and the wheel frees it
// on its next tick.
void ExpireConnNow(ConnTable& table, ConnEntry* e, Ticks now);

// Releases an unhashed one-packet connection right after its packet was forwarded.
void ReleaseOnePacketConn(ConnTable& table, ConnTable& templates, ConnEntry* e);

}  // namespace ipvsd::core
