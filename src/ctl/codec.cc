#include "ctl/codec.h"

#include <algorithm>
#include <cstring>

namespace ipvsd::ctl {
namespace {

void PutAddr(Writer& w, net::Family family, const net::RawAddr& raw) {
  w.U8(static_cast<uint8_t>(family));
  w.Bytes(raw.bytes);
}

// Reads family + 16 address bytes. `allow_unspec` for optional addresses (a daemon's group).
void GetAddr(Reader& r, net::Family& family, net::RawAddr& raw, bool allow_unspec) {
  uint8_t f = r.U8();
  r.Bytes(raw.bytes);
  if (!r.ok()) return;
  if (f == static_cast<uint8_t>(net::Family::kInet) || f == static_cast<uint8_t>(net::Family::kInet6) ||
      (allow_unspec && f == static_cast<uint8_t>(net::Family::kUnspec))) {
    family = static_cast<net::Family>(f);
  } else {
    r.Invalid("address family");
  }
}

void PutEndpoint(Writer& w, const net::Endpoint& e) {
  PutAddr(w, e.addr.family, e.addr.raw);
  w.U16(e.port);
}

void GetEndpoint(Reader& r, net::Endpoint& e) {
  GetAddr(r, e.addr.family, e.addr.raw, false);
  e.port = r.U16();
}

// A name that must fit the kernel's fixed-size buffer (max includes the NUL).
std::string GetName(Reader& r, size_t max, const char* what) {
  std::string s = r.Str();
  if (r.ok() && (s.size() >= max || s.find('\0') != std::string::npos)) r.Invalid(what);
  return s;
}

template <typename T>
void PutList(Writer& w, const std::vector<T>& v) {
  w.U32(static_cast<uint32_t>(v.size()));
  for (const T& e : v) Put(w, e);
}

// Each element takes at least one byte, so a count beyond the remaining bytes is a lie that
// would otherwise make us reserve memory for nothing.
template <typename T>
void GetList(Reader& r, std::vector<T>& v) {
  uint32_t n = r.U32();
  if (!r.ok()) return;
  if (n > r.remaining()) {
    r.Invalid("list count beyond the payload");
    return;
  }
  v.clear();
  v.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    T e{};
    Get(r, e);
    v.push_back(std::move(e));
  }
}

}  // namespace

void Writer::U16(uint16_t v) {
  buf_.push_back(static_cast<uint8_t>(v >> 8));
  buf_.push_back(static_cast<uint8_t>(v));
}

void Writer::U32(uint32_t v) {
  U16(static_cast<uint16_t>(v >> 16));
  U16(static_cast<uint16_t>(v));
}

void Writer::U64(uint64_t v) {
  U32(static_cast<uint32_t>(v >> 32));
  U32(static_cast<uint32_t>(v));
}

void Writer::Str(const std::string& s) {
  size_t n = std::min<size_t>(s.size(), 0xffff);
  U16(static_cast<uint16_t>(n));
  buf_.insert(buf_.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}

bool Reader::Take(size_t n) {
  if (!ok()) return false;
  if (data_.size() - pos_ < n) {
    error_ = MakeError(EBADMSG, "truncated payload");
    return false;
  }
  return true;
}

uint8_t Reader::U8() {
  if (!Take(1)) return 0;
  return data_[pos_++];
}

uint16_t Reader::U16() {
  if (!Take(2)) return 0;
  uint16_t v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

uint32_t Reader::U32() {
  uint32_t hi = U16();
  uint32_t lo = U16();
  return (hi << 16) | lo;
}

uint64_t Reader::U64() {
  uint64_t hi = U32();
  uint64_t lo = U32();
  return (hi << 32) | lo;
}

void Reader::Bytes(std::span<uint8_t> out) {
  // An empty span may have no storage at all, and memcpy takes no null pointer.
  if (out.empty()) return;
  if (!Take(out.size())) {
    std::memset(out.data(), 0, out.size());
    return;
  }
  std::memcpy(out.data(), data_.data() + pos_, out.size());
  pos_ += out.size();
}

std::string Reader::Str() {
  uint16_t n = U16();
  if (!Take(n)) return {};
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n);
  pos_ += n;
  return s;
}

void Reader::Invalid(const char* what) {
  if (ok()) error_ = MakeError(EINVAL, std::string("invalid field: ") + what);
}

void Put(Writer&, const Empty&) {}
void Get(Reader&, Empty&) {}

void Put(Writer& w, const ServiceKey& v) {
  w.U32(v.fwmark);
  PutAddr(w, v.family, v.addr);
  w.U8(v.protocol);
  w.U16(v.port);
}

void Get(Reader& r, ServiceKey& v) {
  v.fwmark = r.U32();
  GetAddr(r, v.family, v.addr, false);
  v.protocol = r.U8();
  v.port = r.U16();
}

void Put(Writer& w, const ServiceSpec& v) {
  Put(w, v.key);
  w.Str(v.sched_name);
  w.U32(v.flags);
  w.U32(v.timeout);
  w.U32(v.netmask);
  w.Str(v.pe_name);
}

void Get(Reader& r, ServiceSpec& v) {
  Get(r, v.key);
  v.sched_name = GetName(r, kSchedNameMax, "scheduler name");
  v.flags = r.U32();
  v.timeout = r.U32();
  v.netmask = r.U32();
  v.pe_name = GetName(r, kPeNameMax, "persistence engine name");
  if (v.timeout > kMaxTimeout) r.Invalid("persistence timeout above 2678400 s");
}

void Put(Writer& w, const DestSpec& v) {
  PutAddr(w, v.addr.family, v.addr.raw);
  w.U16(v.port);
  w.U8(static_cast<uint8_t>(v.fwd));
  w.U32(static_cast<uint32_t>(v.weight));
  w.U32(v.u_threshold);
  w.U32(v.l_threshold);
  w.U8(static_cast<uint8_t>(v.tun_type));
  w.U16(v.tun_port);
  w.U8(static_cast<uint8_t>(v.tun_csum));
}

void Get(Reader& r, DestSpec& v) {
  GetAddr(r, v.addr.family, v.addr.raw, false);
  v.port = r.U16();
  uint8_t fwd = r.U8();
  v.weight = static_cast<int32_t>(r.U32());
  v.u_threshold = r.U32();
  v.l_threshold = r.U32();
  uint8_t tun_type = r.U8();
  v.tun_port = r.U16();
  uint8_t tun_csum = r.U8();
  if (fwd > kFwdMax) r.Invalid("forwarding method");
  if (tun_type > kTunTypeMax) r.Invalid("tunnel type");
  if (tun_csum > kTunCsumMax) r.Invalid("tunnel checksum flag");
  v.fwd = static_cast<Fwd>(fwd);
  v.tun_type = static_cast<TunType>(tun_type);
  v.tun_csum = static_cast<TunCsum>(tun_csum);
}

void Put(Writer& w, const DestRequest& v) {
  Put(w, v.service);
  Put(w, v.dest);
}

void Get(Reader& r, DestRequest& v) {
  Get(r, v.service);
  Get(r, v.dest);
}

void Put(Writer& w, const ZeroRequest& v) {
  w.U8(v.all);
  Put(w, v.service);
}

void Get(Reader& r, ZeroRequest& v) {
  v.all = r.U8();
  Get(r, v.service);
  if (v.all > 1) r.Invalid("zero-all flag");
}

void Put(Writer& w, const StatsBlock& v) {
  for (uint64_t x : {v.conns, v.inpkts, v.outpkts, v.inbytes, v.outbytes, v.cps, v.inpps, v.outpps, v.inbps,
                     v.outbps}) {
    w.U64(x);
  }
}

void Get(Reader& r, StatsBlock& v) {
  for (uint64_t* x : {&v.conns, &v.inpkts, &v.outpkts, &v.inbytes, &v.outbytes, &v.cps, &v.inpps, &v.outpps,
                      &v.inbps, &v.outbps}) {
    *x = r.U64();
  }
}

void Put(Writer& w, const DestEntry& v) {
  Put(w, v.spec);
  w.U32(v.activeconns);
  w.U32(v.inactconns);
  w.U32(v.persistconns);
  Put(w, v.stats);
}

void Get(Reader& r, DestEntry& v) {
  Get(r, v.spec);
  v.activeconns = r.U32();
  v.inactconns = r.U32();
  v.persistconns = r.U32();
  Get(r, v.stats);
}

void Put(Writer& w, const ServiceEntry& v) {
  Put(w, v.spec);
  Put(w, v.stats);
  PutList(w, v.dests);
}

void Get(Reader& r, ServiceEntry& v) {
  Get(r, v.spec);
  Get(r, v.stats);
  GetList(r, v.dests);
}

void Put(Writer& w, const ServiceList& v) { PutList(w, v.services); }
void Get(Reader& r, ServiceList& v) { GetList(r, v.services); }

void Put(Writer& w, const InfoReply& v) {
  w.U32(v.version_code);
  w.U32(v.conn_tab_size);
  w.U32(v.num_services);
}

void Get(Reader& r, InfoReply& v) {
  v.version_code = r.U32();
  v.conn_tab_size = r.U32();
  v.num_services = r.U32();
}

void Put(Writer& w, const TimeoutsMsg& v) {
  w.U32(v.tcp);
  w.U32(v.tcp_fin);
  w.U32(v.udp);
}

void Get(Reader& r, TimeoutsMsg& v) {
  v.tcp = r.U32();
  v.tcp_fin = r.U32();
  v.udp = r.U32();
  if (v.tcp > kMaxTimeout || v.tcp_fin > kMaxTimeout || v.udp > kMaxTimeout) r.Invalid("timeout above 2678400 s");
}

void Put(Writer& w, const DaemonConfig& v) {
  w.U32(v.state);
  w.Str(v.mcast_ifn);
  w.U32(v.syncid);
  w.U16(v.sync_maxlen);
  PutAddr(w, v.mcast_group.family, v.mcast_group.raw);
  w.U16(v.mcast_port);
  w.U8(v.mcast_ttl);
}

void Get(Reader& r, DaemonConfig& v) {
  v.state = r.U32();
  v.mcast_ifn = GetName(r, kIfNameMax, "interface name");
  v.syncid = r.U32();
  v.sync_maxlen = r.U16();
  GetAddr(r, v.mcast_group.family, v.mcast_group.raw, true);
  v.mcast_port = r.U16();
  v.mcast_ttl = r.U8();
  if (v.state != kStateMaster && v.state != kStateBackup) r.Invalid("sync daemon state");
  if (v.syncid > 255) r.Invalid("syncid above 255");
  if (v.sync_maxlen > kMaxSyncMaxlen) r.Invalid("sync-maxlen above 65507");
}

void Put(Writer& w, const DaemonStop& v) { w.U32(v.state); }

void Get(Reader& r, DaemonStop& v) {
  v.state = r.U32();
  if (v.state != kStateMaster && v.state != kStateBackup) r.Invalid("sync daemon state");
}

void Put(Writer& w, const DaemonList& v) { PutList(w, v.daemons); }
void Get(Reader& r, DaemonList& v) { GetList(r, v.daemons); }

void Put(Writer& w, const ConnRecord& v) {
  w.U8(v.protocol);
  PutEndpoint(w, v.client);
  PutEndpoint(w, v.vaddr);
  PutEndpoint(w, v.dest);
  w.Str(v.state);
  w.U32(v.expires);
  w.Str(v.pe_name);
  w.Str(v.pe_data);
}

void Get(Reader& r, ConnRecord& v) {
  v.protocol = r.U8();
  GetEndpoint(r, v.client);
  GetEndpoint(r, v.vaddr);
  GetEndpoint(r, v.dest);
  v.state = r.Str();
  v.expires = r.U32();
  v.pe_name = r.Str();
  v.pe_data = r.Str();
}

void Put(Writer& w, const ConnCursor& v) {
  w.U32(v.part);
  w.U32(v.slot);
  w.U32(v.max);
}

void Get(Reader& r, ConnCursor& v) {
  v.part = r.U32();
  v.slot = r.U32();
  v.max = r.U32();
}

void Put(Writer& w, const ConnList& v) {
  PutList(w, v.conns);
  w.U8(v.more);
  Put(w, v.next);
}

void Get(Reader& r, ConnList& v) {
  GetList(r, v.conns);
  v.more = r.U8();
  Get(r, v.next);
}

void Put(Writer& w, const WorkerQueue& v) {
  w.Str(v.iface);
  w.U32(v.queue);
}

void Get(Reader& r, WorkerQueue& v) {
  v.iface = GetName(r, kIfNameMax, "interface name");
  v.queue = r.U32();
}

void Put(Writer& w, const WorkerInfo& v) {
  w.U32(v.id);
  PutList(w, v.queues);
  w.U32(v.conns);
  w.U64(v.rx);
  w.U64(v.tx);
  w.U64(v.dropped);
  w.U64(v.handed_off);
  w.U64(v.handed_in);
  PutList(w, v.drops);
}

void Put(Writer& w, const DropCount& v) {
  w.Str(v.reason);
  w.U64(v.count);
}

void Get(Reader& r, DropCount& v) {
  v.reason = r.Str();
  v.count = r.U64();
}

void Get(Reader& r, WorkerInfo& v) {
  v.id = r.U32();
  GetList(r, v.queues);
  v.conns = r.U32();
  v.rx = r.U64();
  v.tx = r.U64();
  v.dropped = r.U64();
  v.handed_off = r.U64();
  v.handed_in = r.U64();
  GetList(r, v.drops);
}

void Put(Writer& w, const DataPlaneInfo& v) {
  w.Str(v.io);
  PutList(w, v.workers);
}

void Get(Reader& r, DataPlaneInfo& v) {
  v.io = r.Str();
  GetList(r, v.workers);
}

// A step is its type, then its payload as uint32 length + bytes.
void Put(Writer& w, const BatchStep& v) {
  w.U16(v.type);
  w.U32(static_cast<uint32_t>(v.payload.size()));
  w.Bytes(v.payload);
}

void Get(Reader& r, BatchStep& v) {
  v.type = r.U16();
  uint32_t n = r.U32();
  if (!r.ok()) return;
  if (!IsBatchStepType(v.type)) {
    r.Invalid("a batch step of a type that is not a change");
    return;
  }
  if (n > r.remaining() || n > kMaxRequestPayload) {
    r.Invalid("batch step length beyond the payload");
    return;
  }
  v.payload.resize(n);
  r.Bytes(v.payload);
}

void Put(Writer& w, const BatchRequest& v) { PutList(w, v.steps); }
void Get(Reader& r, BatchRequest& v) { GetList(r, v.steps); }

void Put(Writer& w, const BatchReply& v) {
  w.U32(v.failed_step);
  w.U32(v.errcode);
  w.Str(v.detail);
}

void Get(Reader& r, BatchReply& v) {
  v.failed_step = r.U32();
  v.errcode = r.U32();
  v.detail = r.Str();
}

void Put(Writer& w, const HealthEntry& v) {
  Put(w, v.service);
  PutAddr(w, v.addr.family, v.addr.raw);
  w.U16(v.port);
  w.U8(v.state);
}

void Get(Reader& r, HealthEntry& v) {
  Get(r, v.service);
  GetAddr(r, v.addr.family, v.addr.raw, false);
  v.port = r.U16();
  v.state = r.U8();
  if (r.ok() && v.state > kHealthStateMax) r.Invalid("health state out of range");
}

void Put(Writer& w, const HealthReport& v) { PutList(w, v.entries); }
void Get(Reader& r, HealthReport& v) { GetList(r, v.entries); }

void Put(Writer& w, const Handover& v) {
  w.U32(v.pid);
  w.Str(v.version);
}
void Get(Reader& r, Handover& v) {
  v.pid = r.U32();
  v.version = r.Str();
  if (v.pid == 0) r.Invalid("handover pid 0");
}

void PutHeader(Writer& w, uint16_t type, uint32_t length, uint32_t errcode) {
  w.U32(kMagic);
  w.U16(kVersion);
  w.U16(type);
  w.U32(length);
  w.U32(errcode);
}

Result<Header> DecodeHeader(std::span<const uint8_t> bytes, uint32_t max_payload) {
  if (bytes.size() < kHeaderSize) return MakeError(EBADMSG, "truncated header");
  Reader r(bytes.first(kHeaderSize));
  Header h;
  h.magic = r.U32();
  h.version = r.U16();
  h.type = r.U16();
  h.length = r.U32();
  h.errcode = r.U32();
  if (h.magic != kMagic) return MakeError(EPROTO, "bad magic");
  if (h.version != kVersion) {
    return MakeError(EPROTONOSUPPORT, "unsupported protocol version " + std::to_string(h.version));
  }
  if (h.length > max_payload) {
    return MakeError(EMSGSIZE, "payload of " + std::to_string(h.length) + " bytes exceeds the maximum of " +
                                   std::to_string(max_payload));
  }
  return h;
}

bool IsKnownRequest(uint16_t type) { return type >= kFirstMsgType && type <= kLastMsgType; }

const char* MsgTypeName(uint16_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kGetInfo: return "GetInfo";
    case MsgType::kAddService: return "AddService";
    case MsgType::kEditService: return "EditService";
    case MsgType::kDelService: return "DelService";
    case MsgType::kFlush: return "Flush";
    case MsgType::kAddDest: return "AddDest";
    case MsgType::kEditDest: return "EditDest";
    case MsgType::kDelDest: return "DelDest";
    case MsgType::kZero: return "Zero";
    case MsgType::kGetServices: return "GetServices";
    case MsgType::kGetService: return "GetService";
    case MsgType::kGetTimeouts: return "GetTimeouts";
    case MsgType::kSetTimeouts: return "SetTimeouts";
    case MsgType::kStartDaemon: return "StartDaemon";
    case MsgType::kStopDaemon: return "StopDaemon";
    case MsgType::kGetDaemons: return "GetDaemons";
    case MsgType::kGetConns: return "GetConns";
    case MsgType::kGetDataPlane: return "GetDataPlane";
    case MsgType::kBatch: return "Batch";
    case MsgType::kReportHealth: return "ReportHealth";
    case MsgType::kHandover: return "Handover";
  }
  return "unknown";
}

std::vector<uint8_t> EncodeErrorReply(uint16_t request_type, const Error& error) {
  Writer body;
  body.Str(error.message);
  Writer w;
  PutHeader(w, static_cast<uint16_t>(request_type | kReplyBit), static_cast<uint32_t>(body.buffer().size()),
            static_cast<uint32_t>(error.code));
  w.Bytes(body.buffer());
  return std::move(w.buffer());
}

std::string DecodeErrorDetail(std::span<const uint8_t> payload) {
  Reader r(payload);
  std::string s = r.Str();
  return r.ok() ? s : std::string();
}

}  // namespace ipvsd::ctl
