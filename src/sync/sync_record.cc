#include "sync/sync_record.h"

namespace ipvsd::sync {

SyncConn ToSyncConn(const core::SyncRecord& r) {
  SyncConn c;
  c.af = r.af;
  c.protocol = r.protocol;
  c.flags = r.flags & ~kConnFlagSeqMask;  // no sequence data to go with them
  c.state = r.state;
  c.cport = r.cport;
  c.vport = r.vport;
  c.dport = r.dport;
  c.fwmark = r.fwmark;
  c.timeout = r.timeout_s;
  c.caddr = r.caddr;
  c.vaddr = r.vaddr;
  c.daddr = r.daddr;
  return c;
}

std::optional<core::SyncRecord> ToSyncRecord(const SyncConn& c) {
  if (c.af != net::Family::kInet && c.af != net::Family::kInet6) return std::nullopt;
  if (!c.pe_data.empty()) return std::nullopt;
  core::SyncRecord r;
  r.af = c.af;
  r.protocol = c.protocol;
  r.flags = c.flags;
  r.state = c.state;
  r.cport = c.cport;
  r.vport = c.vport;
  r.dport = c.dport;
  r.fwmark = c.fwmark;
  r.timeout_s = c.timeout;
  r.caddr = c.caddr;
  r.vaddr = c.vaddr;
  r.daddr = c.daddr;
  return r;
}

}  // namespace ipvsd::sync
