#include "ctl/handlers.h"

#include <cerrno>

#include "ctl/codec.h"

namespace ipvsd::ctl {
namespace {

// Defaults the kernel fills in for a sync daemon started without them (ip_vs_sync.c,
// IP_VS_SYNC_GROUP / IP_VS_SYNC_PORT, and ipvsadm's documented maxlen for a 1500-byte MTU).
constexpr uint32_t kDefaultSyncGroup = 0xe0000051;  // 224.0.0.81
constexpr uint16_t kDefaultSyncPort = 8848;
constexpr uint8_t kDefaultSyncTtl = 1;
constexpr uint16_t kDefaultSyncMaxlenV4 = 1500 - 20 - 8;
constexpr uint16_t kDefaultSyncMaxlenV6 = 1500 - 40 - 8;

// Decode, call, encode: the shape of every request.
template <typename Req, typename Fn>
std::vector<uint8_t> Serve(uint16_t type, std::span<const uint8_t> payload, Fn&& fn) {
  auto req = DecodePayload<Req>(payload);
  if (!req) return EncodeErrorReply(type, req.error());
  auto rep = fn(*req);
  if (!rep) return EncodeErrorReply(type, rep.error());
  return EncodeFrame(static_cast<uint16_t>(type | kReplyBit), 0, *rep);
}

ServiceEntry MakeEntry(const core::Service& s) {
  ServiceEntry e;
  e.spec = FromCore(s.config);
  e.stats = FromCore(*s.stats);
  e.dests.reserve(s.dests.size());
  for (const core::DestPtr& d : s.dests) {
    DestEntry de;
    de.spec = FromCore(d->config());
    de.activeconns = static_cast<uint32_t>(d->activeconns());
    de.inactconns = static_cast<uint32_t>(d->inactconns());
    de.persistconns = static_cast<uint32_t>(d->persistconns());
    de.stats = FromCore(d->stats());
    e.dests.push_back(std::move(de));
  }
  return e;
}

// IPv4 addresses use the first four bytes only; clear the rest so that keys compare equal.
net::RawAddr Canonical(net::Family family, const net::RawAddr& raw) {
  if (family == net::Family::kInet6) return raw;
  net::RawAddr a;
  for (int i = 0; i < 4; ++i) a.bytes[static_cast<size_t>(i)] = raw.bytes[static_cast<size_t>(i)];
  return a;
}

}  // namespace

core::ServiceKey ToCore(const ServiceKey& key) {
  core::ServiceKey k;
  k.family = key.family;
  if (key.fwmark != 0) {
    // A firewall-mark service is identified by mark and family alone.
    k.fwmark = key.fwmark;
    return k;
  }
  k.protocol = key.protocol;
  k.addr = Canonical(key.family, key.addr);
  k.port = key.port;
  return k;
}

core::ServiceConfig ToCore(const ServiceSpec& spec) {
  core::ServiceConfig c;
  c.key = ToCore(spec.key);
  c.sched_name = spec.sched_name;
  // HASHED is the kernel's own bookkeeping; a client cannot set it.
  c.flags = spec.flags & ~kSvcHashed;
  c.timeout = spec.timeout;
  c.netmask = spec.netmask;
  c.pe_name = spec.pe_name;
  return c;
}

core::DestConfig ToCore(const DestSpec& spec) {
  core::DestConfig d;
  d.addr = net::IpAddr{Canonical(spec.addr.family, spec.addr.raw), spec.addr.family};
  d.port = spec.port;
  d.fwd = static_cast<core::FwdMethod>(spec.fwd);
  d.weight = spec.weight;
  d.u_threshold = spec.u_threshold;
  d.l_threshold = spec.l_threshold;
  d.tun_type = static_cast<core::TunType>(spec.tun_type);
  d.tun_port = spec.tun_port;
  d.tun_csum = static_cast<core::TunCsum>(spec.tun_csum);
  return d;
}

ServiceSpec FromCore(const core::ServiceConfig& config) {
  ServiceSpec s;
  s.key.fwmark = config.key.fwmark;
  s.key.family = config.key.family;
  s.key.protocol = config.key.protocol;
  s.key.addr = config.key.addr;
  s.key.port = config.key.port;
  s.sched_name = config.sched_name;
  s.flags = config.flags;
  s.timeout = config.timeout;
  s.netmask = config.netmask;
  s.pe_name = config.pe_name;
  return s;
}

StatsBlock FromCore(const core::Stats& s) {
  core::StatsValues v = s.Current();
  core::RateValues r = s.Rates();
  return StatsBlock{v.conns, v.inpkts, v.outpkts, v.inbytes, v.outbytes, r.cps, r.inpps, r.outpps, r.inbps, r.outbps};
}

DestSpec FromCore(const core::DestConfig& config) {
  DestSpec d;
  d.addr = config.addr;
  d.port = config.port;
  d.fwd = static_cast<Fwd>(config.fwd);
  d.weight = config.weight;
  d.u_threshold = config.u_threshold;
  d.l_threshold = config.l_threshold;
  d.tun_type = static_cast<TunType>(config.tun_type);
  d.tun_port = config.tun_port;
  d.tun_csum = static_cast<TunCsum>(config.tun_csum);
  return d;
}

Handlers::Handlers(core::ServiceManager& services, core::Timeouts& timeouts, uint32_t conn_tab_size,
                   ConnLister conns, SyncControl* sync, DataPlaneDescriber data_plane, HealthSink health,
                   HandoverSink handover)
    : services_(services),
      timeouts_(timeouts),
      conn_tab_size_(conn_tab_size),
      conns_(std::move(conns)),
      sync_(sync),
      data_plane_(std::move(data_plane)),
      health_(std::move(health)),
      handover_(std::move(handover)) {}

std::vector<uint8_t> Handlers::Handle(uint16_t type, std::span<const uint8_t> payload) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kGetInfo:
      return Serve<Empty>(type, payload, [this](const Empty& r) { return GetInfo(r); });
    case MsgType::kAddService:
      return Serve<ServiceSpec>(type, payload, [this](const ServiceSpec& r) { return AddService(r); });
    case MsgType::kEditService:
      return Serve<ServiceSpec>(type, payload, [this](const ServiceSpec& r) { return EditService(r); });
    case MsgType::kDelService:
      return Serve<ServiceKey>(type, payload, [this](const ServiceKey& r) { return DelService(r); });
    case MsgType::kFlush:
      return Serve<Empty>(type, payload, [this](const Empty& r) { return Flush(r); });
    case MsgType::kAddDest:
      return Serve<DestRequest>(type, payload, [this](const DestRequest& r) { return AddDest(r); });
    case MsgType::kEditDest:
      return Serve<DestRequest>(type, payload, [this](const DestRequest& r) { return EditDest(r); });
    case MsgType::kDelDest:
      return Serve<DestRequest>(type, payload, [this](const DestRequest& r) { return DelDest(r); });
    case MsgType::kZero:
      return Serve<ZeroRequest>(type, payload, [this](const ZeroRequest& r) { return Zero(r); });
    case MsgType::kGetServices:
      return Serve<Empty>(type, payload, [this](const Empty& r) { return GetServices(r); });
    case MsgType::kGetService:
      return Serve<ServiceKey>(type, payload, [this](const ServiceKey& r) { return GetService(r); });
    case MsgType::kGetTimeouts:
      return Serve<Empty>(type, payload, [this](const Empty& r) { return GetTimeouts(r); });
    case MsgType::kSetTimeouts:
      return Serve<TimeoutsMsg>(type, payload, [this](const TimeoutsMsg& r) { return SetTimeouts(r); });
    case MsgType::kStartDaemon:
      return Serve<DaemonConfig>(type, payload, [this](const DaemonConfig& r) { return StartDaemon(r); });
    case MsgType::kStopDaemon:
      return Serve<DaemonStop>(type, payload, [this](const DaemonStop& r) { return StopDaemon(r); });
    case MsgType::kGetDaemons:
      return Serve<Empty>(type, payload, [this](const Empty& r) { return GetDaemons(r); });
    case MsgType::kGetConns:
      return Serve<ConnCursor>(type, payload, [this](const ConnCursor& r) { return GetConns(r); });
    case MsgType::kGetDataPlane:
      return Serve<Empty>(type, payload, [this](const Empty& r) { return GetDataPlane(r); });
    case MsgType::kBatch:
      return Serve<BatchRequest>(type, payload, [this](const BatchRequest& r) { return Batch(r); });
    case MsgType::kReportHealth:
      return Serve<HealthReport>(type, payload, [this](const HealthReport& r) { return ReportHealth(r); });
    case MsgType::kHandover:
      return Serve<Handover>(type, payload, [this](const Handover& r) -> Result<Handover> {
        if (!handover_) return MakeError(EOPNOTSUPP, "this daemon does not hand over");
        return handover_(r);
      });
  }
  return EncodeErrorReply(type, MakeError(EBADRQC, "unknown request type " + std::to_string(type)));
}

Result<InfoReply> Handlers::GetInfo(const Empty&) {
  InfoReply r;
  r.conn_tab_size = conn_tab_size_;
  r.num_services = static_cast<uint32_t>(services_.table()->size());
  return r;
}

Result<Empty> Handlers::AddService(const ServiceSpec& spec) {
  if (Status st = services_.AddService(ToCore(spec)); !st) return st.error();
  return Empty{};
}

Result<Empty> Handlers::EditService(const ServiceSpec& spec) {
  if (Status st = services_.EditService(ToCore(spec)); !st) return st.error();
  return Empty{};
}

Result<Empty> Handlers::DelService(const ServiceKey& key) {
  if (Status st = services_.DeleteService(ToCore(key)); !st) return st.error();
  return Empty{};
}

Result<Empty> Handlers::Flush(const Empty&) {
  if (Status st = services_.Flush(); !st) return st.error();
  return Empty{};
}

Result<Empty> Handlers::AddDest(const DestRequest& req) {
  if (Status st = services_.AddDest(ToCore(req.service), ToCore(req.dest)); !st) return st.error();
  return Empty{};
}

Result<Empty> Handlers::EditDest(const DestRequest& req) {
  if (Status st = services_.EditDest(ToCore(req.service), ToCore(req.dest)); !st) return st.error();
  return Empty{};
}

Result<Empty> Handlers::DelDest(const DestRequest& req) {
  core::DestConfig d = ToCore(req.dest);
  if (Status st = services_.DeleteDest(ToCore(req.service), d.addr, d.port); !st) return st.error();
  return Empty{};
}

Result<Empty> Handlers::Zero(const ZeroRequest& req) {
  core::ServiceKey key = ToCore(req.service);
  if (Status st = services_.Zero(req.all ? nullptr : &key); !st) return st.error();
  return Empty{};
}

Result<ServiceList> Handlers::GetServices(const Empty&) {
  auto table = services_.table();
  ServiceList list;
  list.services.reserve(table->size());
  for (const core::ServicePtr& s : table->InOrder()) list.services.push_back(MakeEntry(*s));
  return list;
}

Result<ServiceEntry> Handlers::GetService(const ServiceKey& key) {
  auto table = services_.table();
  const core::Service* s = table->FindKey(ToCore(key));
  if (!s) return MakeError(ESRCH, "no such service");
  return MakeEntry(*s);
}

Result<TimeoutsMsg> Handlers::GetTimeouts(const Empty&) {
  core::TimeoutTriple t = timeouts_.Get();
  return TimeoutsMsg{t.tcp, t.tcpfin, t.udp};
}

Result<Empty> Handlers::SetTimeouts(const TimeoutsMsg& t) {
  timeouts_.Set(core::TimeoutTriple{t.tcp, t.tcp_fin, t.udp});
  return Empty{};
}

Result<Empty> Handlers::StartDaemon(const DaemonConfig& config) {
  std::optional<DaemonConfig>& slot = config.state == kStateMaster ? master_ : backup_;
  if (slot) return MakeError(EEXIST, "sync daemon already running");
  DaemonConfig c = config;
  if (c.mcast_group.family == net::Family::kUnspec) c.mcast_group = net::IpAddr::V4(kDefaultSyncGroup);
  if (c.mcast_port == 0) c.mcast_port = kDefaultSyncPort;
  if (c.mcast_ttl == 0) c.mcast_ttl = kDefaultSyncTtl;
  if (c.sync_maxlen == 0) c.sync_maxlen = c.mcast_group.is_v6() ? kDefaultSyncMaxlenV6 : kDefaultSyncMaxlenV4;
  if (sync_) {
    if (Status st = sync_->Start(c); !st) return st.error();
  }
  slot = c;
  return Empty{};
}

Result<Empty> Handlers::StopDaemon(const DaemonStop& stop) {
  std::optional<DaemonConfig>& slot = stop.state == kStateMaster ? master_ : backup_;
  if (!slot) return MakeError(ESRCH, "no sync daemon running");
  if (sync_) {
    if (Status st = sync_->Stop(stop.state); !st) return st.error();
  }
  slot.reset();
  return Empty{};
}

Result<DaemonList> Handlers::GetDaemons(const Empty&) {
  DaemonList list;
  if (master_) list.daemons.push_back(*master_);
  if (backup_) list.daemons.push_back(*backup_);
  return list;
}

Result<ConnList> Handlers::GetConns(const ConnCursor& cursor) {
  if (!conns_) return ConnList{};
  ConnCursor c = cursor;
  if (c.max == 0 || c.max > kConnPageMax) c.max = kConnPageMax;
  return conns_(c);
}

Result<DataPlaneInfo> Handlers::GetDataPlane(const Empty&) {
  if (!data_plane_) return DataPlaneInfo{};
  return data_plane_();
}

Result<BatchReply> Handlers::Batch(const BatchRequest& req) {
  std::vector<core::ServiceChange> changes;
  std::vector<uint32_t> step_of_change;
  std::vector<TimeoutsMsg> timeouts;
  BatchReply reply;
  auto fail = [&](uint32_t step, const Error& e) {
    reply.failed_step = step;
    reply.errcode = static_cast<uint32_t>(e.code);
    reply.detail = e.message;
    return reply;
  };
  for (uint32_t i = 0; i < req.steps.size(); ++i) {
    const BatchStep& step = req.steps[i];
    // Decodes the step's payload as its request type, or ends the batch with that error.
    std::optional<Error> bad;
    auto decode = [&]<typename T>(T* out) {
      Result<T> r = DecodePayload<T>(step.payload);
      if (r) {
        *out = std::move(*r);
      } else {
        bad = r.error();
      }
      return r.ok();
    };
    switch (static_cast<MsgType>(step.type)) {
      case MsgType::kAddService:
      case MsgType::kEditService: {
        ServiceSpec spec;
        if (!decode(&spec)) break;
        changes.push_back(step.type == static_cast<uint16_t>(MsgType::kAddService)
                              ? core::ServiceChange::AddService(ToCore(spec))
                              : core::ServiceChange::EditService(ToCore(spec)));
        break;
      }
      case MsgType::kDelService: {
        ServiceKey key;
        if (decode(&key)) changes.push_back(core::ServiceChange::DeleteService(ToCore(key)));
        break;
      }
      case MsgType::kFlush: {
        Empty e;
        if (decode(&e)) changes.push_back(core::ServiceChange::Flush());
        break;
      }
      case MsgType::kAddDest:
      case MsgType::kEditDest:
      case MsgType::kDelDest: {
        DestRequest d;
        if (!decode(&d)) break;
        core::ServiceKey key = ToCore(d.service);
        core::DestConfig dest = ToCore(d.dest);
        if (step.type == static_cast<uint16_t>(MsgType::kAddDest)) {
          changes.push_back(core::ServiceChange::AddDest(key, dest));
        } else if (step.type == static_cast<uint16_t>(MsgType::kEditDest)) {
          changes.push_back(core::ServiceChange::EditDest(key, dest));
        } else {
          changes.push_back(core::ServiceChange::DeleteDest(key, dest.addr, dest.port));
        }
        break;
      }
      case MsgType::kZero: {
        ZeroRequest z;
        if (!decode(&z)) break;
        core::ServiceKey key = ToCore(z.service);
        changes.push_back(core::ServiceChange::Zero(z.all ? nullptr : &key));
        break;
      }
      case MsgType::kSetTimeouts: {
        TimeoutsMsg t;
        if (decode(&t)) timeouts.push_back(t);
        break;
      }
      default:
        bad = MakeError(EINVAL, "a batch step of a type that is not a change");
        break;
    }
    if (bad) return fail(i, *bad);
    if (changes.size() > step_of_change.size()) step_of_change.push_back(i);
  }
  size_t failed = 0;
  if (Status st = services_.Apply(changes, &failed); !st) return fail(step_of_change[failed], st.error());
  for (const TimeoutsMsg& t : timeouts) timeouts_.Set(core::TimeoutTriple{t.tcp, t.tcp_fin, t.udp});
  return reply;
}

Result<Empty> Handlers::ReportHealth(const HealthReport& report) {
  if (health_) health_(report);
  return Empty{};
}

}  // namespace ipvsd::ctl
