#include "core/service_manager.h"

#include <algorithm>
#include <cerrno>

#include "net/headers.h"

namespace ipvsd::core {
namespace {

Status ValidateServiceConfig(const ServiceConfig& c) {
  const ServiceKey& k = c.key;
  if (k.family != net::Family::kInet && k.family != net::Family::kInet6) {
    return MakeError(EAFNOSUPPORT, "unsupported address family");
  }
  if (k.fwmark == 0 && k.protocol != net::kProtoTcp && k.protocol != net::kProtoUdp &&
      k.protocol != net::kProtoSctp) {
    return MakeError(EINVAL, "protocol must be TCP, UDP or SCTP");
  }
  if (k.family == net::Family::kInet6 && (c.netmask < 1 || c.netmask > 128)) {
    return MakeError(EINVAL, "IPv6 persistence prefix must be 1..128");
  }
  if (!c.pe_name.empty() && c.pe_name != "sip") {
    return MakeError(ENOENT, "unknown persistence engine '" + c.pe_name + "'");
  }
  return Ok();
}

bool IsUnicast(const net::IpAddr& a) {
  if (a.raw.IsZero()) return false;
  if (a.family == net::Family::kInet) {
    uint32_t v = a.raw.V4();
    return (v >> 28) != 0xe && v != 0xffffffffu;
  }
  return a.raw.bytes[0] != 0xff;
}

Status ValidateDestConfig(const ServiceKey& key, const DestConfig& d) {
  if (d.weight < 0 || d.l_threshold > d.u_threshold) return MakeError(ERANGE, "weight or thresholds out of range");
  if (!IsUnicast(d.addr)) return MakeError(EINVAL, "real server address is not unicast");
  if (d.addr.family != key.family && d.fwd != FwdMethod::kTunnel) {
    return MakeError(EINVAL, "a different address family is allowed only for tunnelling");
  }
  if (d.fwd == FwdMethod::kTunnel && d.tun_type == TunType::kGue && d.tun_port == 0) {
    return MakeError(EINVAL, "GUE tunnelling needs a port");
  }
  return Ok();
}

// A new Service object with the same configuration, stats and scheduler but its own dest list.
std::shared_ptr<Service> CopyOf(const Service& s) { return std::make_shared<Service>(s); }

}  // namespace

ServiceManager::ServiceManager(SchedulerFactory factory) : factory_(std::move(factory)) {
  table_.store(std::make_shared<const ServiceTable>());
}

std::vector<ServicePtr> ServiceManager::CopyServices() const { return table()->services(); }

std::vector<ServicePtr>::iterator ServiceManager::FindIn(std::vector<ServicePtr>& v, const ServiceKey& key) {
  return std::find_if(v.begin(), v.end(), [&](const ServicePtr& s) { return s->key() == key; });
}

void ServiceManager::Publish(std::vector<ServicePtr> services) {
  uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
  table_.store(std::make_shared<const ServiceTable>(std::move(services), gen), std::memory_order_release);
  generation_.store(gen, std::memory_order_release);
}

void ServiceManager::NotifyScheduler(const Service& s) {
  std::vector<Dest*> raw;
  raw.reserve(s.dests.size());
  for (const DestPtr& d : s.dests) raw.push_back(d.get());
  s.sched->lock.lock();
  s.sched->scheduler->OnDestsChanged(raw);
  s.sched->lock.unlock();
}

void ServiceManager::TrashDests(const ServiceKey& key, const std::vector<DestPtr>& dests) {
  uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
  for (const DestPtr& d : dests) {
    d->SetAvailable(false);
    trash_.push_back(Trashed{key, d, gen});
  }
}

Status ServiceManager::AddService(const ServiceConfig& config) {
  std::lock_guard lock(mu_);
  if (Status st = ValidateServiceConfig(config); !st) return st;
  std::vector<ServicePtr> services = CopyServices();
  if (FindIn(services, config.key) != services.end()) return MakeError(EEXIST, "service already exists");
  auto sched = factory_(config.sched_name, config.flags);
  if (!sched) return sched.error();
  auto s = std::make_shared<Service>();
  s->config = config;
  s->config.flags |= kSvcHashed;
  s->stats = std::make_shared<Stats>();
  s->sched = std::make_shared<SchedulerSlot>();
  s->sched->scheduler = std::move(*sched);
  NotifyScheduler(*s);
  services.push_back(std::move(s));
  Publish(std::move(services));
  return Ok();
}

Status ServiceManager::EditService(const ServiceConfig& config) {
  std::lock_guard lock(mu_);
  if (Status st = ValidateServiceConfig(config); !st) return st;
  std::vector<ServicePtr> services = CopyServices();
  auto it = FindIn(services, config.key);
  if (it == services.end()) return MakeError(ESRCH, "no such service");
  auto s = CopyOf(**it);
  bool new_scheduler = config.sched_name != s->config.sched_name ||
                       (config.flags & kSvcSchedFlags) != (s->config.flags & kSvcSchedFlags);
  if (new_scheduler) {
    auto sched = factory_(config.sched_name, config.flags);
    if (!sched) return sched.error();
    s->sched = std::make_shared<SchedulerSlot>();
    s->sched->scheduler = std::move(*sched);
  }
  s->config = config;
  s->config.flags |= kSvcHashed;
  if (new_scheduler) NotifyScheduler(*s);
  *it = std::move(s);
  Publish(std::move(services));
  return Ok();
}

Status ServiceManager::DeleteService(const ServiceKey& key) {
  std::lock_guard lock(mu_);
  std::vector<ServicePtr> services = CopyServices();
  auto it = FindIn(services, key);
  if (it == services.end()) return MakeError(ESRCH, "no such service");
  TrashDests(key, (*it)->dests);
  services.erase(it);
  Publish(std::move(services));
  return Ok();
}

Status ServiceManager::Flush() {
  std::lock_guard lock(mu_);
  for (const ServicePtr& s : table()->services()) TrashDests(s->key(), s->dests);
  Publish({});
  return Ok();
}

Status ServiceManager::AddDest(const ServiceKey& key, const DestConfig& dest) {
  std::lock_guard lock(mu_);
  std::vector<ServicePtr> services = CopyServices();
  auto it = FindIn(services, key);
  if (it == services.end()) return MakeError(ESRCH, "service not defined");
  if (Status st = ValidateDestConfig(key, dest); !st) return st;
  if ((*it)->FindDest(dest.addr, dest.port)) return MakeError(EEXIST, "destination already exists");
  DestPtr d;
  auto trashed = std::find_if(trash_.begin(), trash_.end(), [&](const Trashed& t) {
    return t.service == key && t.dest->addr() == dest.addr && t.dest->port() == dest.port;
  });
  if (trashed != trash_.end()) {
    d = trashed->dest;  // ip_vs_trash_get_dest: the old object comes back with its counters
    trash_.erase(trashed);
    d->Update(dest);
  } else {
    d = std::make_shared<Dest>(dest);
  }
  d->SetAvailable(true);
  d->set_service_stats((*it)->stats);
  auto s = CopyOf(**it);
  s->dests.insert(s->dests.begin(), d);  // list_add_rcu: newest first
  NotifyScheduler(*s);
  *it = std::move(s);
  Publish(std::move(services));
  return Ok();
}

Status ServiceManager::EditDest(const ServiceKey& key, const DestConfig& dest) {
  std::lock_guard lock(mu_);
  std::vector<ServicePtr> services = CopyServices();
  auto it = FindIn(services, key);
  if (it == services.end()) return MakeError(ESRCH, "service not defined");
  if (Status st = ValidateDestConfig(key, dest); !st) return st;
  Dest* d = (*it)->FindDest(dest.addr, dest.port);
  if (!d) return MakeError(ENOENT, "no such destination");
  d->Update(dest);
  // The same dests, but schedulers with tables (wrr, sh, mh, ...) rebuild on weight changes,
  // and a fresh generation tells workers and listings that something changed.
  auto s = CopyOf(**it);
  NotifyScheduler(*s);
  *it = std::move(s);
  Publish(std::move(services));
  return Ok();
}

Status ServiceManager::DeleteDest(const ServiceKey& key, const net::IpAddr& addr, uint16_t port) {
  std::lock_guard lock(mu_);
  std::vector<ServicePtr> services = CopyServices();
  auto it = FindIn(services, key);
  if (it == services.end()) return MakeError(ESRCH, "service not defined");
  auto s = CopyOf(**it);
  auto d = std::find_if(s->dests.begin(), s->dests.end(),
                        [&](const DestPtr& p) { return p->addr() == addr && p->port() == port; });
  if (d == s->dests.end()) return MakeError(ENOENT, "no such destination");
  TrashDests(key, {*d});
  s->dests.erase(d);
  NotifyScheduler(*s);
  *it = std::move(s);
  Publish(std::move(services));
  return Ok();
}

Status ServiceManager::Zero(const ServiceKey* key) {
  std::lock_guard lock(mu_);
  auto table = this->table();
  if (key) {
    const Service* s = table->FindKey(*key);
    if (!s) return MakeError(ESRCH, "no such service");
    s->stats->Zero();
    for (const DestPtr& d : s->dests) d->stats().Zero();
    return Ok();
  }
  for (const ServicePtr& s : table->services()) {
    s->stats->Zero();
    for (const DestPtr& d : s->dests) d->stats().Zero();
  }
  total_stats_.Zero();
  return Ok();
}

void ServiceManager::EstimatorTick() {
  std::lock_guard lock(mu_);
  for (const ServicePtr& s : table()->services()) {
    s->stats->EstimatorTick();
    for (const DestPtr& d : s->dests) d->stats().EstimatorTick();
  }
  total_stats_.EstimatorTick();
}

void ServiceManager::PurgeTrash(uint64_t oldest_worker_generation) {
  std::lock_guard lock(mu_);
  std::erase_if(trash_, [&](const Trashed& t) {
    return t.deleted_in_generation <= oldest_worker_generation && t.dest->activeconns() == 0 &&
           t.dest->inactconns() == 0 && t.dest->persistconns() == 0;
  });
}

size_t ServiceManager::trash_size() const {
  std::lock_guard lock(mu_);
  return trash_.size();
}

}  // namespace ipvsd::core
