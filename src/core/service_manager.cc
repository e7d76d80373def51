#include "core/service_manager.h"

#include <algorithm>
#include <cerrno>
#include <unordered_set>

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
  if ((c.flags & kSvcSynproxy) && (k.fwmark != 0 || k.protocol != net::kProtoTcp)) {
    return MakeError(EINVAL, "--synproxy needs a TCP service (not UDP, SCTP or a firewall mark)");
  }
  return Ok();
}

// The SYN proxy rewrites the sequence numbers of both directions, so the real server's
// replies must come back through the director: NAT only.
Status ValidateSynproxyFwd(uint32_t svc_flags, FwdMethod fwd) {
  if ((svc_flags & kSvcSynproxy) && fwd != FwdMethod::kMasq) {
    return MakeError(EINVAL,
                     "--synproxy needs NAT (-m) real servers: the replies of direct routing and tunnelling "
                     "bypass the director, which could not translate their sequence numbers");
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

}  // namespace

ServiceChange ServiceChange::DeleteDest(const ServiceKey& k, const net::IpAddr& addr, uint16_t port) {
  DestConfig d;
  d.addr = addr;
  d.port = port;
  return {Kind::kDeleteDest, KeyOnly(k), d, false};
}

ServiceChange ServiceChange::Zero(const ServiceKey* k) {
  ServiceChange c{Kind::kZero, {}, {}, k == nullptr};
  if (k) c.service.key = *k;
  return c;
}

size_t ServiceManager::TrashKeyHash::operator()(const TrashKey& k) const {
  ServiceKey dest_as_key;
  dest_as_key.family = k.addr.family;
  dest_as_key.addr = k.addr.raw;
  dest_as_key.port = k.port;
  return ServiceKeyHash{}(k.service) * 31 + ServiceKeyHash{}(dest_as_key);
}

// The pending state of one Apply(): the new map being built, and every effect on objects
// that live outside it (destinations, schedulers, counters, the trash), queued in order
// until every change has passed.
class ServiceManager::Draft {
 public:
  Draft(const ServiceMap& base, uint64_t generation) : map(base), generation(generation) {}

  // The draft's own copy of the service with that key (copied on first use), or nullptr.
  Service* Mutable(const ServiceKey& key) {
    const Service* s = map.Find(key);
    if (!s) return nullptr;
    auto own = owned.find(s);
    if (own != owned.end()) return own->second.get();
    auto copy = std::make_shared<Service>(*s);
    owned.emplace(copy.get(), copy);
    map.Put(copy);
    return copy.get();
  }
  void AddNew(std::shared_ptr<Service> s) {
    owned.emplace(s.get(), s);
    map.Put(std::move(s));
  }
  void Later(std::function<void()> effect) { effects.push_back(std::move(effect)); }

  ServiceMap::Builder map;
  const uint64_t generation;  // the one this draft will be published as
  std::unordered_map<const Service*, std::shared_ptr<Service>> owned;
  std::vector<ServiceKey> touched;  // services whose destination list or scheduler changed
  // The trash as the changes so far left it: destinations trashed by this draft, and keys
  // of the live trash it already took back.
  std::unordered_map<TrashKey, DestPtr, TrashKeyHash> trashed;
  std::unordered_set<TrashKey, TrashKeyHash> revived;
  std::vector<std::function<void()>> effects;
};

ServiceManager::ServiceManager(SchedulerFactory factory) : factory_(std::move(factory)) {
  table_.store(std::make_shared<const ServiceTable>());
}

void ServiceManager::Publish(ServiceMap map) {
  uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
  table_.store(std::make_shared<const ServiceTable>(std::move(map), gen), std::memory_order_release);
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

Status ServiceManager::Apply(std::span<const ServiceChange> changes, size_t* failed) {
  std::lock_guard lock(mu_);
  Draft draft(table()->map(), generation_.load(std::memory_order_relaxed) + 1);
  for (size_t i = 0; i < changes.size(); ++i) {
    if (Status st = Step(draft, changes[i]); !st) {
      if (failed) *failed = i;
      return st;
    }
  }
  // Revived destinations leave the trash first and trashed ones enter it last, so that one
  // deleted and re-added by the same batch never looks unavailable to a worker.
  for (const TrashKey& k : draft.revived) trash_.erase(k);
  for (const auto& effect : draft.effects) effect();
  for (const auto& [k, d] : draft.trashed) {
    d->SetAvailable(false);
    trash_[k] = Trashed{d, draft.generation};
  }
  ServiceMap map = std::move(draft.map).Build();
  // Each changed service once, however many changes touched it: its destinations count for
  // it, and its scheduler learns the final list.
  std::unordered_set<const Service*> notified;
  for (const ServiceKey& key : draft.touched) {
    const Service* s = map.Find(key);
    if (!s || !notified.insert(s).second) continue;
    for (const DestPtr& d : s->dests) d->set_service_stats(s->stats);
    NotifyScheduler(*s);
  }
  Publish(std::move(map));
  return Ok();
}

Status ServiceManager::Step(Draft& draft, const ServiceChange& c) {
  using Kind = ServiceChange::Kind;
  const ServiceKey& key = c.service.key;
  auto trash = [&](const ServiceKey& service, const DestPtr& d) {
    draft.trashed[TrashKey{service, d->addr(), d->port()}] = d;
  };
  switch (c.kind) {
    case Kind::kAddService: {
      if (Status st = ValidateServiceConfig(c.service); !st) return st;
      if (draft.map.Find(key)) return MakeError(EEXIST, "service already exists");
      auto sched = factory_(c.service.sched_name, c.service.flags);
      if (!sched) return sched.error();
      auto s = std::make_shared<Service>();
      s->config = c.service;
      s->config.flags |= kSvcHashed;
      s->stats = std::make_shared<Stats>();
      s->sched = std::make_shared<SchedulerSlot>();
      s->sched->scheduler = std::move(*sched);
      s->seq = next_seq_++;
      draft.AddNew(std::move(s));
      draft.touched.push_back(key);
      return Ok();
    }
    case Kind::kEditService: {
      if (Status st = ValidateServiceConfig(c.service); !st) return st;
      Service* s = draft.Mutable(key);
      if (!s) return MakeError(ESRCH, "no such service");
      for (const DestPtr& d : s->dests) {
        if (Status st = ValidateSynproxyFwd(c.service.flags, d->fwd()); !st) return st;
      }
      bool new_scheduler = c.service.sched_name != s->config.sched_name ||
                           (c.service.flags & kSvcSchedFlags) != (s->config.flags & kSvcSchedFlags);
      if (new_scheduler) {
        auto sched = factory_(c.service.sched_name, c.service.flags);
        if (!sched) return sched.error();
        s->sched = std::make_shared<SchedulerSlot>();
        s->sched->scheduler = std::move(*sched);
        draft.touched.push_back(key);
      }
      s->config = c.service;
      s->config.flags |= kSvcHashed;
      return Ok();
    }
    case Kind::kDeleteService: {
      const Service* s = draft.map.Find(key);
      if (!s) return MakeError(ESRCH, "no such service");
      for (const DestPtr& d : s->dests) trash(key, d);
      draft.map.Erase(key);
      return Ok();
    }
    case Kind::kFlush: {
      draft.map.ForEach([&](const ServicePtr& s) {
        for (const DestPtr& d : s->dests) trash(s->key(), d);
      });
      draft.map.Clear();
      return Ok();
    }
    case Kind::kAddDest: {
      if (!draft.map.Find(key)) return MakeError(ESRCH, "service not defined");
      if (Status st = ValidateDestConfig(key, c.dest); !st) return st;
      Service* s = draft.Mutable(key);
      if (s->FindDest(c.dest.addr, c.dest.port)) return MakeError(EEXIST, "destination already exists");
      if (Status st = ValidateSynproxyFwd(s->config.flags, c.dest.fwd); !st) return st;
      TrashKey k{key, c.dest.addr, c.dest.port};
      DestPtr d;
      if (auto t = draft.trashed.find(k); t != draft.trashed.end()) {
        d = t->second;
        draft.trashed.erase(t);
      } else if (auto live = trash_.find(k); live != trash_.end() && !draft.revived.contains(k)) {
        d = live->second.dest;  // ip_vs_trash_get_dest: the old object comes back with its counters
        draft.revived.insert(k);
      }
      if (d) {
        draft.Later([d, config = c.dest] {
          d->Update(config);
          d->SetAvailable(true);
        });
      } else {
        d = std::make_shared<Dest>(c.dest);
        draft.Later([d] { d->SetAvailable(true); });
      }
      s->dests.insert(s->dests.begin(), d);  // list_add_rcu: newest first
      draft.touched.push_back(key);
      return Ok();
    }
    case Kind::kEditDest: {
      if (!draft.map.Find(key)) return MakeError(ESRCH, "service not defined");
      if (Status st = ValidateDestConfig(key, c.dest); !st) return st;
      Service* s = draft.Mutable(key);
      if (Status st = ValidateSynproxyFwd(s->config.flags, c.dest.fwd); !st) return st;
      auto d = std::find_if(s->dests.begin(), s->dests.end(),
                            [&](const DestPtr& p) { return p->addr() == c.dest.addr && p->port() == c.dest.port; });
      if (d == s->dests.end()) return MakeError(ENOENT, "no such destination");
      // The same destinations, but schedulers with tables (wrr, sh, mh, ...) rebuild on
      // weight changes, and a fresh generation tells workers and listings that something changed.
      draft.Later([d = *d, config = c.dest] { d->Update(config); });
      draft.touched.push_back(key);
      return Ok();
    }
    case Kind::kDeleteDest: {
      if (!draft.map.Find(key)) return MakeError(ESRCH, "service not defined");
      Service* s = draft.Mutable(key);
      auto d = std::find_if(s->dests.begin(), s->dests.end(),
                            [&](const DestPtr& p) { return p->addr() == c.dest.addr && p->port() == c.dest.port; });
      if (d == s->dests.end()) return MakeError(ENOENT, "no such destination");
      trash(key, *d);
      s->dests.erase(d);
      draft.touched.push_back(key);
      return Ok();
    }
    case Kind::kZero: {
      if (c.all) {
        std::vector<ServicePtr> services;
        draft.map.ForEach([&](const ServicePtr& s) { services.push_back(s); });
        draft.Later([this, services = std::move(services)] {
          for (const ServicePtr& s : services) {
            s->stats->Zero();
            for (const DestPtr& d : s->dests) d->stats().Zero();
          }
          total_stats_.Zero();
        });
        return Ok();
      }
      const Service* s = draft.map.Find(key);
      if (!s) return MakeError(ESRCH, "no such service");
      draft.Later([stats = s->stats, dests = s->dests] {
        stats->Zero();
        for (const DestPtr& d : dests) d->stats().Zero();
      });
      return Ok();
    }
  }
  return MakeError(EINVAL, "unknown change");
}

void ServiceManager::EstimatorTick() {
  std::lock_guard lock(mu_);
  table()->ForEach([](const ServicePtr& s) {
    s->stats->EstimatorTick();
    for (const DestPtr& d : s->dests) d->stats().EstimatorTick();
  });
  total_stats_.EstimatorTick();
}

void ServiceManager::PurgeTrash(uint64_t oldest_worker_generation) {
  std::lock_guard lock(mu_);
  std::erase_if(trash_, [&](const auto& entry) {
    const Trashed& t = entry.second;
    return t.deleted_in_generation <= oldest_worker_generation && t.dest->activeconns() == 0 &&
           t.dest->inactconns() == 0 && t.dest->persistconns() == 0;
  });
}

size_t ServiceManager::trash_size() const {
  std::lock_guard lock(mu_);
  return trash_.size();
}

}  // namespace ipvsd::core
