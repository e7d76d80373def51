// File: core/template_table.h
//
// TemplateTable holds the persistence templates of every worker of a director in one place.
// Connections live with the worker that owns them (dataplane/handoff.h), but a template is
// shared by connections of many clients (-M netmask) and client ports, which several workers
// own: it must be one, or two workers would place the same client on different real servers.
// Kernel IPVS has one table for both, with per-bucket locks; here only the templates are
// shared, behind one lock, and only what places, ends or syncs a connection of a persistent
// service takes it: never a packet of an established connection.
//
//   core::TemplateTable templates(1 << 16, RandomHashKey(), clock.NowTicks());
//   {
//     std::lock_guard lock(templates.mutex());
//     ScheduleConn(conns, templates.table(), svc, v, ...);
//   }
//   templates.Expire(now);  // any worker, between bursts
#pragma once

#include <mutex>

#include "core/conn_setup.h"
#include "core/conn_table.h"

namespace ipvsd::core {

class TemplateTable {
 public:
  // Room for one template per kConnsPerTemplate connections of `conn_capacity` (clients of
  // persistent services seldom open only one connection each), its entries mapped as they are
  // used: an idle table costs its bucket heads, a byte per connection.
  static constexpr uint32_t kConnsPerTemplate = 8;
  static uint32_t Capacity(uint32_t conn_capacity) {
    return ConnTable::RoundCapacity(conn_capacity / kConnsPerTemplate);
  }
  // `key` keys the table's hash (ConnTable): random in production. With a `store` of
  // Capacity(conn_capacity) entries, the templates live in it (core/conn_store.h).
  TemplateTable(uint32_t conn_capacity, const HashKey& key, Ticks now, ConnStore* store = nullptr)
      : table_(conn_capacity / kConnsPerTemplate, key, now, ConnTable::Entries::kOnFirstUse, store) {}

  std::mutex& mutex() { return mu_; }
  // The lock when `needed`, else none: for callers that touch a template only sometimes (a
  // connection with one, a persistent service).
  std::unique_lock<std::mutex> LockIf(bool needed) {
    return needed ? std::unique_lock<std::mutex>(mu_) : std::unique_lock<std::mutex>();
  }
  // Under mutex().
  ConnTable& table() { return table_; }

  // Runs the templates' timers up to `now` unless another worker is at it (or ran them
  // later): a template's expiry waits for a worker's next poll at most.
  void Expire(Ticks now) {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    table_.Expire(now, [&](ConnEntry* e, Ticks at) { return OnConnExpire(table_, e, at); });
  }

 private:
  std::mutex mu_;
  ConnTable table_;
};

}  // namespace ipvsd::core
